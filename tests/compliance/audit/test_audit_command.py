"""`python -m compliance audit` end to end on a deployed stack's export: the real policy pack over
its protocol, checkov itself, the four files and the exit code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from compliance.cli import main
from compliance.model.graph import GraphResource, ResourceGraph
from tests.policy_pack.pack_harness import pinned_judging_versions

PROJECT_ROOT = Path(__file__).resolve().parents[3]
PROVIDER = "urn:pulumi:prod::payments::pulumi:providers:aws::default_7_29_0"
KEY = "urn:pulumi:prod::payments::payments:kms:Key$aws:kms/key:Key::payments-key"
ROTATION = "pci-dss@4.0.1:3.7.4"
KEY_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "AccountIamPoliciesGrantUse",
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ],
}


def exported_stack(folder: Path, *, rotation: bool) -> Path:
    graph = ResourceGraph(
        project="payments",
        stack="prod",
        resources=(
            GraphResource(
                urn="urn:pulumi:prod::payments::pulumi:pulumi:Stack::payments-prod",
                type="pulumi:pulumi:Stack",
                custom=False,
            ),
            GraphResource(
                urn=PROVIDER,
                type="pulumi:providers:aws",
                custom=True,
                id="provider-id",
                inputs={"region": "eu-west-1", "version": "7.29.0"},
            ),
            GraphResource(
                urn=KEY,
                type="aws:kms/key:Key",
                custom=True,
                id="key-id",
                inputs={
                    "description": "payments",
                    "deletionWindowInDays": 30,
                    "enableKeyRotation": rotation,
                    "policy": json.dumps(KEY_POLICY),
                    "tags": {
                        "Environment": "production",
                        "MigratedFrom": "dev",
                        "MigrationDate": "2026-12-01",
                    },
                },
                protect=True,
                provider=f"{PROVIDER}::provider-id",
            ),
        ),
    )
    path = folder / f"rotation-{rotation}.json"
    graph.write(path)
    return path


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("audit-command")
    (folder / "accepted-risks.yaml").write_text("accepted_risks: []\n")
    return folder


def run_on(
    workspace: Path,
    *,
    rotation: bool,
    out: str,
    fail_on: str = "mandatory",
    summary: Path | None = None,
) -> int:
    return main(
        [
            "audit",
            *(["--summary", str(summary)] if summary else []),
            "--state",
            str(exported_stack(workspace, rotation=rotation)),
            "--project-dir",
            str(PROJECT_ROOT),
            "--accepted-risks",
            str(workspace / "accepted-risks.yaml"),
            "--build-dir",
            str(workspace / "build"),
            "--out",
            str(workspace / out),
            "--fail-on",
            fail_on,
        ]
    )


def control_status(report_dir: Path, control: str) -> str:
    document = json.loads((report_dir / "audit.json").read_text())
    return str(next(c["status"] for c in document["controls"] if c["id"] == control))


def test_a_failing_mandatory_control_sets_the_exit_code(workspace: Path) -> None:
    summary = workspace / "step-summary.md"
    summary.write_text("## Lint and tests\n\n")
    assert run_on(workspace, rotation=False, out="failing", summary=summary) == 1
    job_summary = summary.read_text()
    assert job_summary.startswith("## Lint and tests\n\n## ❌ Audit of payments/prod: ")
    assert "| crossguard/kms-key-rotation-enabled | mandatory | payments-key |" in job_summary
    reports = workspace / "failing"
    assert sorted(p.name for p in reports.iterdir()) == [
        "audit.html",
        "audit.json",
        "audit.sarif",
        "junit.xml",
    ]
    assert control_status(reports, ROTATION) == "fail"
    provenance = json.loads((reports / "audit.json").read_text())["provenance"]
    assert provenance["mode"] == "state"
    assert provenance["sha256"]["stateFile"]["path"].endswith("rotation-False.json")
    assert provenance["policyPack"]["environment"] == pinned_judging_versions()
    checkov_pins = (PROJECT_ROOT / "compliance" / "checkov" / "requirements.txt").read_text()
    assert f"checkov=={provenance['tools']['checkov']}\n" in checkov_pins


def test_fail_on_none_reports_the_failure_and_exits_zero(workspace: Path) -> None:
    assert run_on(workspace, rotation=False, out="never", fail_on="none") == 0
    assert control_status(workspace / "never", ROTATION) == "fail"


def test_a_stack_without_failures_exits_zero(workspace: Path) -> None:
    summary = workspace / "passing-summary.md"
    assert run_on(workspace, rotation=True, out="passing", summary=summary) == 0
    assert "### Blocking findings (--fail-on mandatory)\n\nNothing blocks." in summary.read_text()
    assert control_status(workspace / "passing", ROTATION) == "pass"


def test_a_missing_state_file_is_one_line_and_exit_code_2(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = workspace / "missing.json"
    assert main(["audit", "--state", str(missing), "--out", str(workspace / "none")]) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"error: {missing}: cannot read")
    assert error.count("\n") == 1
    assert not (workspace / "none").exists()
