"""The report's coverage: each concern takes the worst verdict of the rules that own it, an owner
that did not run is named, and a requirement only concerns not adopted serve is uncovered."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from compliance.audit.json_report import to_document
from compliance.audit.model import AuditReport, build_report
from compliance.audit.status import ControlStatus
from compliance.model.coverage import Concern, Engine, Owner
from tests.compliance.audit.audit_fixtures import make_inputs, make_report


def concern(
    identifier: str, requirements: tuple[str, ...], *owners: Owner, reason: str = ""
) -> Concern:
    return Concern(
        id=identifier,
        concern=f"{identifier} is required.",
        requirements=requirements,
        references={},
        owners=owners,
        not_adopted=reason or None,
        rationale=None,
    )


CATALOGUE = (
    concern(
        "bucket-cmk",
        ("3.5.1",),
        Owner(Engine.POLICY, "s3-bucket-cmk-encryption"),
        Owner(Engine.CHECKOV, "CKV_AWS_145"),
    ),
    concern("key-rotation", ("3.7.4",), Owner(Engine.POLICY, "kms-key-rotation")),
    concern("table-cmk", ("3.5.1",), Owner(Engine.CHECKOV, "CKV_AWS_119")),
    concern("protected", (), Owner(Engine.POLICY, "stateful-resources-protected")),
    concern("absent", ("10.2.1",), Owner(Engine.CHECKOV, "CKV_AWS_18")),
    concern("mfa-delete", ("3.7.4", "8.4.2"), reason="Only the root user can turn it on."),
)


def report_with(project_dir: Path, catalogue: tuple[Concern, ...] = CATALOGUE) -> AuditReport:
    inputs = replace(make_inputs(project_dir), catalogue=catalogue)
    return build_report(inputs, make_report(project_dir).provenance)


def test_a_concern_takes_the_worst_verdict_of_its_owners(project_dir: Path) -> None:
    statuses = {r.concern.id: r.status for r in report_with(project_dir).coverage.concerns}
    assert statuses == {
        "bucket-cmk": ControlStatus.FAIL,
        "key-rotation": ControlStatus.PASS,
        "table-cmk": ControlStatus.ACCEPTED_RISK,
        "protected": ControlStatus.NOT_RUN,
        "absent": ControlStatus.NOT_APPLICABLE,
        "mfa-delete": None,
    }


def test_an_owner_that_did_not_run_is_named(project_dir: Path) -> None:
    results = {r.concern.id: r for r in report_with(project_dir).coverage.concerns}
    assert results["absent"].rules == ()
    assert results["absent"].missing == ("checkov/CKV_AWS_18",)
    assert results["bucket-cmk"].rules == (
        "crossguard/s3-bucket-cmk-encryption",
        "checkov/CKV_AWS_145",
    )


def test_a_requirement_only_unadopted_concerns_serve_is_uncovered(project_dir: Path) -> None:
    coverage = report_with(project_dir).coverage
    by_id = {r.requirement: r for r in coverage.requirements}
    assert list(by_id) == ["3.5.1", "3.7.4", "8.4.2", "10.2.1"]
    assert by_id["3.7.4"].automated == ("key-rotation",)
    assert by_id["3.7.4"].not_adopted == ("mfa-delete",)
    assert [r.requirement for r in coverage.uncovered] == ["8.4.2"]
    assert coverage.by_engine() == {"policy": 3, "checkov": 3, "not-adopted": 1}


def test_the_json_report_carries_the_coverage(project_dir: Path) -> None:
    document = to_document(report_with(project_dir))["coverage"]
    assert document["uncovered"] == ["8.4.2"]
    mfa = next(c for c in document["concerns"] if c["id"] == "mfa-delete")
    assert (mfa["status"], mfa["notAdopted"]) == (None, "Only the root user can turn it on.")
    absent = next(c for c in document["concerns"] if c["id"] == "absent")
    assert (absent["status"], absent["notRun"]) == ("not-applicable", ["checkov/CKV_AWS_18"])


def test_the_report_uses_the_shipped_catalogue_by_default(project_dir: Path) -> None:
    coverage = make_report(project_dir).coverage
    ids = {r.concern.id for r in coverage.concerns}
    assert {"s3-encryption-cmk", "organizations", "backup-manual-deletion-disabled"} <= ids
    cmk = next(r for r in coverage.concerns if r.concern.id == "s3-encryption-cmk")
    assert cmk.status is ControlStatus.FAIL  # the fixture's CKV_AWS_145 failure
