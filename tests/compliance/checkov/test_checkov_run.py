from __future__ import annotations

import copy
import dataclasses
import datetime
from pathlib import Path

import pytest

from compliance.audit.disagreements import find_disagreements
from compliance.checkov.controls import CHECKS_BY_CONTROL, UNMAPPED, controls_for
from compliance.checkov.plan import TerraformPlan, to_terraform_plan
from compliance.checkov.run import CheckovRun, check_scanned, run_checkov
from compliance.checkov.scan import CheckovError, known_check_ids, scan_plan
from compliance.cli import main
from compliance.model.controls import by_id
from compliance.model.findings import Outcome, Source
from compliance.model.graph import ResourceGraph
from compliance.preview.policy_findings import analyze_graph
from tests.compliance.checkov.checkov_graphs import ACCEPTED_RISKS, PROJECT_ROOT, storage_graph

CONNECTED_CHECKS = (
    "CKV2_AWS_6",  # bucket -> public access block
    "CKV_AWS_21",  # bucket -> versioning
    "CKV_AWS_145",  # bucket -> default encryption with KMS
    "CKV2_AWS_61",  # bucket -> lifecycle configuration
    "CKV2_AWS_31",  # web ACL -> logging configuration
    "CKV2_AWS_4",  # API stage -> method settings
)
TODAY = datetime.date(2026, 11, 26)


def unlinked(graph: ResourceGraph) -> ResourceGraph:
    return dataclasses.replace(
        graph,
        resources=tuple(
            dataclasses.replace(r, property_dependencies={}, dependencies=())
            for r in graph.resources
        ),
    )


def outcomes(run: CheckovRun, check: str) -> set[Outcome]:
    return {f.outcome for f in run.findings if f.rule == check}


@pytest.fixture(scope="module")
def no_risks(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("risks") / "accepted-risks.yaml"
    path.write_text("accepted_risks: []\n")
    return path


@pytest.fixture(scope="module")
def stack_run(stack_graph: ResourceGraph) -> CheckovRun:
    return run_checkov(stack_graph, ACCEPTED_RISKS, today=TODAY)


@pytest.fixture(scope="module")
def unlinked_stack_run(stack_graph: ResourceGraph, no_risks: Path) -> CheckovRun:
    return run_checkov(unlinked(stack_graph), no_risks, today=TODAY)


# CKV2_AWS_29 (WAF on API stages) also passes without links, vacuously: checkov passes a stage no
# REST API connects to; with the REST API linked, it fails once the web ACL association's links go
# (test_waf_on_api_stages_fails_when_only_the_web_acl_association_loses_its_links).
@pytest.mark.parametrize("check", [*CONNECTED_CHECKS, "CKV2_AWS_29"])
def test_connected_checks_pass_with_the_graph_links(stack_run: CheckovRun, check: str) -> None:
    assert outcomes(stack_run, check) == {Outcome.PASS}


@pytest.mark.parametrize("check", CONNECTED_CHECKS)
def test_connected_checks_fail_without_the_graph_links(
    unlinked_stack_run: CheckovRun, check: str
) -> None:
    assert outcomes(unlinked_stack_run, check) == {Outcome.FAIL}


def test_waf_on_api_stages_fails_when_only_the_web_acl_association_loses_its_links(
    stack_graph: ResourceGraph, no_risks: Path
) -> None:
    association = "aws:wafv2/webAclAssociation:WebAclAssociation"
    graph = dataclasses.replace(
        stack_graph,
        resources=tuple(
            dataclasses.replace(r, property_dependencies={}, dependencies=())
            if r.type == association
            else r
            for r in stack_graph.resources
        ),
    )
    assert any(r.type == association for r in graph.resources)
    assert outcomes(run_checkov(graph, no_risks, today=TODAY), "CKV2_AWS_29") == {Outcome.FAIL}


def test_checkov_scans_every_converted_resource_of_the_stack(
    stack_run: CheckovRun, stack_graph: ResourceGraph
) -> None:
    assert stack_run.scanned == stack_run.converted == len(stack_graph.custom_resources())
    assert stack_run.checkov_version


def test_every_accepted_risk_of_the_project_covers_failures_of_the_stack(
    stack_run: CheckovRun,
) -> None:
    assert stack_run.accepted
    for finding in stack_run.accepted:
        assert finding.outcome is Outcome.ACCEPTED_RISK
        assert finding.accepted_risk is not None
        assert finding.accepted_risk.justification
    assert all(finding in stack_run.findings for finding in stack_run.accepted)


def test_checkov_findings_are_filed_under_controls(stack_run: CheckovRun) -> None:
    for finding in stack_run.findings:
        assert finding.source is Source.CHECKOV
        assert finding.controls
        assert all(by_id(control) is not None for control in finding.controls)
        assert finding.resource is not None


def test_a_bucket_without_encryption_configuration_fails_checkov_and_the_pack(
    no_risks: Path,
) -> None:
    graph = storage_graph(encrypted=False)
    run = run_checkov(graph, no_risks, today=TODAY)
    failed = {(f.rule, f.resource.name) for f in run.failed if f.resource}
    assert ("CKV_AWS_145", "bucket-receipts") in failed
    policy = analyze_graph(graph, PROJECT_ROOT / "policy_pack", None)
    pack_failed = {
        (f.rule, f.resource.name)
        for f in policy.findings
        if f.outcome is Outcome.FAIL and f.resource
    }
    assert ("s3-bucket-encrypted", "bucket-receipts") in pack_failed
    control = "pci-dss@4.0.1:3.5.1"
    on_bucket = [
        d
        for d in find_disagreements((*run.findings, *policy.findings))
        if d.resource.name == "bucket-receipts"
    ]
    assert all(d.control != control for d in on_bucket)


def test_a_resource_checkov_does_not_scan_is_a_loud_error(no_risks: Path) -> None:
    plan = to_terraform_plan(storage_graph())
    document = copy.deepcopy(plan.document)
    del document["planned_values"]["root_module"]["resources"][0]["mode"]
    scan = scan_plan(document)
    with pytest.raises(
        CheckovError,
        match=r"scanned 5 resources of the 6 converted; not scanned: aws_kms_key\.payments-key",
    ):
        check_scanned(plan, scan)


def test_the_resource_count_guard_accepts_a_complete_scan() -> None:
    plan: TerraformPlan = to_terraform_plan(storage_graph())
    check_scanned(plan, scan_plan(plan.document))


def test_every_mapped_check_is_a_checkov_check_and_every_control_is_catalogued() -> None:
    known = known_check_ids()
    for control, checks in CHECKS_BY_CONTROL.items():
        assert by_id(control) is not None, control
        assert set(checks) <= known, set(checks) - known
    assert controls_for("CKV_AWS_999999") == (UNMAPPED,)


def test_every_check_run_on_the_stack_is_filed_under_a_real_control(stack_run: CheckovRun) -> None:
    unmapped = sorted({f.rule for f in stack_run.findings if UNMAPPED in f.controls})

    assert unmapped == []
    assert len({f.rule for f in stack_run.findings}) > 60


def checkov_command(graph: ResourceGraph, accepted_risks: Path, folder: Path) -> int:
    """`python -m compliance checkov` on `graph` as a state file, building into `folder`."""
    state = folder / "stack-export.json"
    graph.write(state)
    return main(
        [
            "checkov",
            "--state",
            str(state),
            "--accepted-risks",
            str(accepted_risks),
            "--build-dir",
            str(folder),
        ]
    )


def test_checkov_command_exits_1_on_a_failed_check_and_prints_it(
    tmp_path: Path, no_risks: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = checkov_command(storage_graph(encrypted=False), no_risks, tmp_path)
    out = capsys.readouterr().out
    assert code == 1
    assert "CKV_AWS_145" in out
    assert "bucket-receipts (aws:s3/bucket:Bucket)" in out
    assert (tmp_path / "checkov" / "prod" / "plan.json").is_file()


def test_checkov_command_reports_a_bad_accepted_risks_file_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    risks = tmp_path / "risks.yaml"
    risks.write_text("accepted_risks:\n  - check: CKV_AWS_18\n    scope: stack\n    owner: me\n")
    code = checkov_command(storage_graph(), risks, tmp_path)
    err = capsys.readouterr().err
    assert code == 2
    entry = f"{risks}: accepted_risks[0] (CKV_AWS_18)"
    assert err.strip().splitlines() == [
        f"error: {entry}: justification: required, a non-empty string"
    ]


def test_checkov_command_reports_a_build_dir_it_cannot_write_in_one_line(
    tmp_path: Path, no_risks: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "checkov").write_text("a file where the plan's folder goes")
    code = checkov_command(storage_graph(), no_risks, tmp_path)
    err = capsys.readouterr().err
    assert code == 2
    assert err.strip().splitlines() == [
        f"error: {tmp_path / 'checkov' / 'prod'}: cannot write the Terraform plan: Not a directory"
    ]


V6_TOKENS = {
    "aws:s3/bucket:Bucket": "aws:s3/bucketV2:BucketV2",
    "aws:s3/bucketVersioning:BucketVersioning": "aws:s3/bucketVersioningV2:BucketVersioningV2",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": (
        "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2"
    ),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": (
        "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2"
    ),
}


def test_a_stack_of_v6_tokens_is_checked_like_v7(no_risks: Path) -> None:
    graph = storage_graph()
    renamed = {r.urn: r.urn.replace(r.type, V6_TOKENS.get(r.type, r.type)) for r in graph.resources}
    v6 = dataclasses.replace(
        graph,
        resources=tuple(
            dataclasses.replace(
                r,
                urn=renamed[r.urn],
                type=V6_TOKENS.get(r.type, r.type),
                property_dependencies={
                    key: tuple(renamed[u] for u in urns)
                    for key, urns in r.property_dependencies.items()
                },
            )
            for r in graph.resources
        ),
    )
    run = run_checkov(v6, no_risks, today=TODAY)
    for check in ("CKV_AWS_21", "CKV_AWS_145", "CKV2_AWS_61", "CKV2_AWS_6"):
        assert outcomes(run, check) == {Outcome.PASS}, check
    assert {f.resource.type for f in run.findings if f.rule == "CKV_AWS_21" and f.resource} == {
        "aws:s3/bucketV2:BucketV2"
    }
