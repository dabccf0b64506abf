"""`python -m compliance verify` and `audit --live` end to end against the moto server: exit codes,
one-line errors for unusable input, the live engine in every report, and the verifier's own IAM
policy covering every operation it calls."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import boto3
import pytest

from compliance.bench.local_account import REGION
from compliance.cli import main
from compliance.live.account import LiveAccessError, LiveAccount
from compliance.model.graph import ResourceGraph
from tests.compliance.live.conftest import PROJECT_ROOT, Verifier
from tests.compliance.live.test_verify import DRIFTS

POLICY = PROJECT_ROOT / "compliance" / "live" / "verifier-policy.json"
NOT_REACHED_ON_MOTO = {"backup:GetBackupSelection", "backup:GetBackupVaultAccessPolicy"}
"""Called once ListBackupSelections answers, which the moto server does not implement; called for a
vault without a lock, and the stack's vault is locked."""
IAM_ACTION = {
    ("s3", "GetBucketEncryption"): "s3:GetEncryptionConfiguration",
    ("s3", "GetPublicAccessBlock"): "s3:GetBucketPublicAccessBlock",
    ("s3", "GetBucketLifecycleConfiguration"): "s3:GetLifecycleConfiguration",
    ("apigateway", "GetStage"): "apigateway:GET",
}
"""Operations whose IAM action is not `<service>:<operation>`."""
NEEDS_NO_PERMISSION = {("sts", "GetCallerIdentity")}


def state_file(graph: ResourceGraph, folder: Path) -> Path:
    path = folder / "prod-export.json"
    graph.write(path)
    return path


def verify_cli(*args: str) -> int:
    return main(["verify", "--project-dir", str(PROJECT_ROOT), *args])


def test_a_compliant_stack_verifies_with_exit_0(
    deployed: ResourceGraph, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert verify_cli("--state", str(state_file(deployed, tmp_path))) == 0
    out = capsys.readouterr().out
    assert out.startswith("Verified payments/prod live in account 123456789012, eu-west-1 (http")
    assert "[fail/" not in out
    assert "[not-run/mandatory] dynamodb-table-in-backup-plan" in out


def test_a_mandatory_control_failing_live_exits_1(
    deployed: ResourceGraph, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    DRIFTS["table point-in-time recovery off"][0](deployed)
    assert verify_cli("--state", str(state_file(deployed, tmp_path))) == 1
    out = capsys.readouterr().out
    assert "[fail/mandatory] dynamodb-pitr-enabled: table-transactions:" in out
    assert "[fail/advisory] drift: table-transactions:" in out


def _error(capsys: pytest.CaptureFixture[str]) -> str:
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1, captured.err
    return captured.err


def test_no_credentials_is_one_line_and_exit_2(
    deployed: ResourceGraph,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    state = state_file(deployed, tmp_path)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    assert verify_cli("--state", str(state)) == 2
    assert _error(capsys).startswith("error: no AWS credentials to verify with")


def test_expired_credentials_are_named_as_such(endpoint: str) -> None:
    session = boto3.session.Session(region_name=REGION)
    session.events.register("before-send.sts.GetCallerIdentity", _expired)
    with pytest.raises(LiveAccessError, match="the AWS credentials are expired or invalid"):
        LiveAccount(REGION, session=session).identity()


def _expired(**_: Any) -> Any:
    from botocore.awsrequest import AWSResponse  # noqa: PLC0415

    body = (
        b"<ErrorResponse><Error><Type>Sender</Type><Code>ExpiredToken</Code>"
        b"<Message>The security token included in the request is expired</Message></Error>"
        b"</ErrorResponse>"
    )

    class Raw:
        def stream(self, **__: Any) -> Any:
            yield body

    return AWSResponse("http://injected", 403, {}, Raw())


def test_an_unreachable_endpoint_is_one_line_and_exit_2(
    deployed: ResourceGraph,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    state = state_file(deployed, tmp_path)
    assert verify_cli("--state", str(state), "--endpoint-url", "http://127.0.0.1:9") == 2
    assert _error(capsys).startswith("error: cannot reach AWS: Could not connect")


def test_outputs_of_another_stack_are_refused(
    deployed: ResourceGraph, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps({"tableNames": {"transactions": "transactions-staging"}}))
    state = state_file(deployed, tmp_path)
    assert verify_cli("--state", str(state), "--outputs", str(outputs)) == 2
    assert _error(capsys).startswith(
        f"error: {outputs}: not the outputs of stack payments/prod as its export records them"
    )


def test_this_stacks_outputs_are_accepted(deployed: ResourceGraph, tmp_path: Path) -> None:
    stack = next(r for r in deployed if r.type == "pulumi:pulumi:Stack")
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps(stack.outputs))
    state = state_file(deployed, tmp_path)
    assert verify_cli("--state", str(state), "--outputs", str(outputs)) == 0


def test_an_export_from_another_account_is_refused(
    deployed: ResourceGraph, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = state_file(deployed, tmp_path)
    state.write_text(state.read_text().replace(":123456789012:", ":999999999999:"))
    assert verify_cli("--state", str(state)) == 2
    assert "the stack export's resources are in account 999999999999" in _error(capsys)


@pytest.mark.parametrize(
    ("content", "message"),
    [("{", "not JSON"), ("[]", "")],
)
def test_a_malformed_export_is_one_line_and_exit_2(
    endpoint: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    content: str,
    message: str,
) -> None:
    state = tmp_path / "bad.json"
    state.write_text(content)
    assert verify_cli("--state", str(state)) == 2
    error = _error(capsys)
    assert error.startswith(f"error: {state}")
    assert message in error


def test_every_operation_the_verifier_calls_is_in_its_iam_policy(
    deployed: ResourceGraph, verifier: Verifier
) -> None:
    called: set[tuple[str, str]] = set()
    session = boto3.session.Session(region_name=REGION)

    def record(model: Any, **_: Any) -> None:
        called.add((model.service_model.signing_name, model.name))

    session.events.register("before-call", record)
    verifier(deployed, LiveAccount(REGION, session=session))
    actions = {
        IAM_ACTION.get((service, operation), f"{service}:{operation}")
        for service, operation in called - NEEDS_NO_PERMISSION
    }
    granted = set(json.loads(POLICY.read_text())["Statement"][0]["Action"])
    assert actions - granted == set()
    assert granted - actions == NOT_REACHED_ON_MOTO
    readme = (PROJECT_ROOT / "README.md").read_text()
    shipped = re.search(r"```json\n(\{[^`]*\"ReadTheStackLive\"[^`]*\})\n```", readme)
    assert shipped, "the README ships the verifier's policy"
    assert json.loads(shipped.group(1)) == json.loads(POLICY.read_text())


def test_audit_live_adds_the_live_engine_to_every_report(
    deployed: ResourceGraph, tmp_path: Path
) -> None:
    DRIFTS["bucket versioning suspended"][0](deployed)
    out = tmp_path / "reports"
    code = main(
        [
            "audit",
            "--state",
            str(state_file(deployed, tmp_path)),
            "--project-dir",
            str(PROJECT_ROOT),
            "--build-dir",
            str(tmp_path / "build"),
            "--out",
            str(out),
            "--live",
        ]
    )
    assert code == 1
    document = json.loads((out / "audit.json").read_text())
    live = document["provenance"]["live"]
    assert live["account"] == "123456789012"
    assert live["region"] == "eu-west-1"
    assert live["endpoint"].startswith("http://127.0.0.1:")
    sources = {f["source"] for f in document["findings"]}
    assert sources == {"crossguard", "checkov", "live"}
    failed_live = {
        (f["rule"], f["resource"]["name"])
        for f in document["findings"]
        if f["source"] == "live" and f["outcome"] == "fail"
    }
    assert failed_live == {
        ("s3-bucket-versioning", "bucket-payment-receipts"),
        ("drift", "bucket-payment-receipts"),
    }
    sarif = json.loads((out / "audit.sarif").read_text())
    assert "live verification" in {run["tool"]["driver"]["fullName"] for run in sarif["runs"]}
    html = (out / "audit.html").read_text()
    assert 'id="live-engine"' in html
    assert "Verified against the running account on" in html
    assert "bucket-payment-receipts: versioning is not enabled" in (out / "junit.xml").read_text()


def test_audit_live_needs_a_state_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "--live"]) == 2
    assert _error(capsys).startswith("error: --live verifies a deployed stack")
