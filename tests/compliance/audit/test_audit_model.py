from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

from compliance.audit.locate import SourceLocator
from compliance.audit.model import AuditReport, ControlResult, FailOn
from compliance.audit.status import ControlStatus
from compliance.model.controls import UNMAPPED
from compliance.model.findings import Outcome
from tests.compliance.audit.audit_fixtures import (
    BUCKET,
    ENCRYPTION,
    KEY,
    LOGGING,
    PROTECTION,
    ROTATION,
    STORAGE_MODULE,
    TABLE,
    TRACING,
    crossguard,
    make_findings,
    make_report,
    ref,
)


def control(report: AuditReport, identifier: str) -> ControlResult:
    return next(c for c in report.controls if c.control.id == identifier)


def test_control_fails_when_any_finding_for_it_fails(report: AuditReport) -> None:
    result = control(report, ENCRYPTION)
    assert result.status is ControlStatus.FAIL
    assert result.blocking == 1


def test_control_counts_resources_checked_and_findings(report: AuditReport) -> None:
    result = control(report, ENCRYPTION)
    # bucket (failed twice) and table (accepted risk) were checked; two not-applicable verdicts.
    assert result.resources_checked == 2
    assert not result.stack_checked
    assert result.findings == 3
    assert result.counts == {"pass": 0, "fail": 2, "accepted-risk": 1, "not-run": 0}
    assert result.not_applicable == 2
    assert sorted(entry.resource.urn for entry in result.resources if entry.resource) == sorted(
        [BUCKET, TABLE]
    )


def test_not_applicable_pairs_are_counted_not_reported_as_findings(report: AuditReport) -> None:
    assert Outcome.NOT_APPLICABLE not in {f.finding.outcome for f in report.findings}
    assert len(report.findings) == len(make_findings()) - 4
    rules = {f"{rule.source.value}/{rule.id}": rule for rule in report.rules}
    cmk = rules["crossguard/s3-bucket-cmk-encryption"]
    assert (cmk.not_applicable, cmk.counts["fail"]) == (2, 1)
    assert rules["crossguard/kms-key-rotation"].not_applicable == 1
    assert rules["crossguard/lambda-xray-tracing"].not_applicable == 1
    assert rules["checkov/CKV_AWS_119"].not_applicable == 0
    assert report.not_applicable == 4
    assert control(report, ROTATION).not_applicable == 1


def test_a_stack_wide_finding_is_not_counted_as_a_resource(project_dir: Path) -> None:
    findings = [*make_findings(), crossguard("kms-key-rotation", None, Outcome.PASS)]
    result = control(make_report(project_dir, findings), ROTATION)
    assert (result.resources_checked, result.stack_checked) == (1, True)
    assert [entry.resource for entry in result.resources] == [None, ref(KEY)]


def test_a_rule_help_names_no_single_resource(project_dir: Path) -> None:
    findings = [
        replace(f, remediation=f"Change {f.resource.name} so that: tables use a CMK.")
        if f.rule == "CKV_AWS_119" and f.resource
        else f
        for f in make_findings()
    ]
    rules = {rule.id: rule for rule in make_report(project_dir, findings).rules}
    assert rules["CKV_AWS_119"].remediation == (
        "Change each resource that fails this check so that: Ensure DynamoDB Tables are "
        "encrypted using a KMS Customer Managed CMK."
    )
    assert rules["CKV_AWS_145"].remediation == "Use aws:kms server-side encryption."


def test_control_with_passes_and_no_failure_passes(report: AuditReport) -> None:
    result = control(report, ROTATION)
    assert result.status is ControlStatus.PASS
    assert result.resources_checked == 1
    assert [entry.resource.urn for entry in result.resources if entry.resource] == [KEY]


def test_control_whose_only_deviations_are_accepted_is_accepted_risk(project_dir: Path) -> None:
    findings = [f for f in make_findings() if f.rule != "s3-bucket-cmk-encryption"]
    findings = [f for f in findings if f.rule != "CKV_AWS_145"]
    findings.append(crossguard("s3-bucket-cmk-encryption", BUCKET, Outcome.PASS))
    result = control(make_report(project_dir, findings), ENCRYPTION)
    assert result.status is ControlStatus.ACCEPTED_RISK
    assert result.resources_checked == 2


def test_control_is_not_run_when_a_rule_could_not_evaluate_and_nothing_failed(
    report: AuditReport,
) -> None:
    assert control(report, PROTECTION).status is ControlStatus.NOT_RUN


def test_control_with_nothing_checked_is_not_applicable(report: AuditReport) -> None:
    tracing = control(report, TRACING)
    assert tracing.status is ControlStatus.NOT_APPLICABLE
    assert tracing.rules == ("crossguard/lambda-xray-tracing",)
    assert tracing.resources == ()
    uncovered = control(report, LOGGING)
    assert uncovered.status is ControlStatus.NOT_APPLICABLE
    assert uncovered.rules == ()


def test_unmapped_checks_are_a_control_only_once_a_check_is_filed_there(
    project_dir: Path, report: AuditReport
) -> None:
    assert UNMAPPED.id not in {c.control.id for c in report.controls}
    new_check = next(f for f in make_findings() if f.rule == "CKV_AWS_145")
    findings = [*make_findings(), replace(new_check, rule="CKV_AWS_9999", controls=(UNMAPPED.id,))]

    result = control(make_report(project_dir, findings), UNMAPPED.id)

    assert result.control == UNMAPPED
    assert (result.status, result.rules) == (ControlStatus.FAIL, ("checkov/CKV_AWS_9999",))


def test_controls_follow_catalogue_framework_order_and_numeric_references(
    report: AuditReport,
) -> None:
    identifiers = [c.control.id for c in report.controls]
    assert identifiers.index("pci-dss@4.0.1:3.5.1") < identifiers.index("pci-dss@4.0.1:10.2.1")
    assert identifiers.index("pci-dss@4.0.1:12.10.1") < identifiers.index(PROTECTION)


def test_fail_on_selects_which_failures_fail_the_audit(report: AuditReport) -> None:
    assert [f.finding.rule for f in report.failed(FailOn.MANDATORY)] == ["s3-bucket-cmk-encryption"]
    assert sorted(f.finding.rule for f in report.failed(FailOn.ANY)) == [
        "CKV_AWS_145",
        "s3-bucket-cmk-encryption",
    ]
    assert report.failed(FailOn.NONE) == ()


def test_finding_ids_are_unique_and_independent_of_input_order(
    project_dir: Path, report: AuditReport
) -> None:
    shuffled = make_findings()
    random.Random(7).shuffle(shuffled)
    again = make_report(project_dir, shuffled)
    assert [f.id for f in again.findings] == [f.id for f in report.findings]
    assert len({f.id for f in report.findings}) == len(report.findings)


def test_duplicate_findings_from_two_runs_are_reported_once(
    project_dir: Path, report: AuditReport
) -> None:
    doubled = make_report(project_dir, make_findings() + make_findings())
    assert len(doubled.findings) == len(report.findings)


def test_finding_is_located_on_the_line_declaring_its_resource(report: AuditReport) -> None:
    bucket_failure = next(
        f
        for f in report.findings
        if f.finding.rule == "s3-bucket-cmk-encryption" and f.finding.outcome is Outcome.FAIL
    )
    line = STORAGE_MODULE.splitlines().index("        self.bucket = aws.s3.Bucket(") + 1
    assert (bucket_failure.location.path, bucket_failure.location.line) == (
        "infra/storage.py",
        line,
    )
    assert bucket_failure.location.declared


def test_resource_not_declared_in_the_program_points_at_the_project_file(
    report: AuditReport,
) -> None:
    key_pass = next(
        f
        for f in report.findings
        if f.finding.rule == "kms-key-rotation" and f.finding.outcome is Outcome.PASS
    )
    assert (key_pass.location.path, key_pass.location.line, key_pass.location.declared) == (
        "Pulumi.yaml",
        1,
        False,
    )


def test_locator_prefers_the_module_of_the_resources_component(tmp_path: Path) -> None:
    (tmp_path / "infra").mkdir()
    (tmp_path / "infra" / "aaa_logs.py").write_text(
        "import pulumi_aws as aws\naws.s3.Bucket('l')\n"
    )
    (tmp_path / "infra" / "storage.py").write_text(STORAGE_MODULE)
    location = SourceLocator(tmp_path).locate(BUCKET)
    assert location.path == "infra/storage.py"
    plain = SourceLocator(tmp_path).locate("urn:pulumi:prod::payments::aws:s3/bucket:Bucket::x")
    assert (plain.path, plain.line) == ("infra/aaa_logs.py", 2)


def test_locator_finds_classes_of_modules_named_by_python_keywords(tmp_path: Path) -> None:
    (tmp_path / "infra").mkdir()
    (tmp_path / "infra" / "functions.py").write_text(
        "import pulumi_aws as aws\n\nfn = aws.lambda_.Function(\n    'processor',\n)\n"
    )
    urn = "urn:pulumi:prod::payments::aws:lambda/function:Function::processor"
    location = SourceLocator(tmp_path).locate(urn)
    assert (location.path, location.line, location.declared) == ("infra/functions.py", 3, True)


def test_overlong_messages_and_observed_values_are_cut_and_marked(project_dir: Path) -> None:
    long = crossguard(
        "s3-bucket-cmk-encryption",
        BUCKET,
        Outcome.FAIL,
        message="m" * 10_000,
        property_path="policy",
        observed={"Statement": ["x" * 10_000]},
    )
    report = make_report(project_dir, [long])
    (finding,) = [f.finding for f in report.findings]
    assert finding.message == "m" * 4000 + "… [6,000 characters cut]"
    assert isinstance(finding.observed, str)
    assert finding.observed.endswith(" characters cut]")
    assert len(finding.observed) < 4100
