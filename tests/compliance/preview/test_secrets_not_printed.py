"""A secret the state holds never reaches the console or the event log, even when a policy quotes
the value in its message (the real pack's tag pattern check does)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from compliance.cli import main
from compliance.model.graph import SECRET_SIGNATURE, SECRET_SIGNATURE_KEY

PROJECT_ROOT = Path(__file__).resolve().parents[3]
SECRET = "sekret-Date-Zq7vX2"
PROVIDER = "urn:pulumi:prod::payments::pulumi:providers:aws::default"


def state_with_a_secret_tag(path: Path) -> Path:
    tags = {
        "Environment": "production",
        "MigratedFrom": "dev",
        "MigrationDate": SECRET,
    }
    resources = [
        # The same value is a secret of the stack (an output); a policy quotes it from the tag.
        {
            "urn": "urn:pulumi:prod::payments::pulumi:pulumi:Stack::payments-prod",
            "type": "pulumi:pulumi:Stack",
            "outputs": {
                "token": {SECRET_SIGNATURE_KEY: SECRET_SIGNATURE, "plaintext": json.dumps(SECRET)}
            },
        },
        {
            "urn": PROVIDER,
            "type": "pulumi:providers:aws",
            "custom": True,
            "id": "p",
            "inputs": {"region": "eu-west-1"},
        },
        {
            "urn": "urn:pulumi:prod::payments::aws:s3/bucket:Bucket::receipts",
            "type": "aws:s3/bucket:Bucket",
            "custom": True,
            "id": "receipts-prod",
            "provider": f"{PROVIDER}::p",
            "inputs": {"bucket": "receipts-prod", "tags": tags},
            "outputs": {"bucket": "receipts-prod", "tags": tags, "tagsAll": tags},
        },
    ]
    path.write_text(json.dumps({"version": 3, "deployment": {"resources": resources}}))
    return path


def test_a_secret_quoted_by_a_policy_is_neither_printed_nor_logged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = state_with_a_secret_tag(tmp_path / "state.json")
    pack = PROJECT_ROOT / "policy_pack"
    code = main(
        [
            "policy",
            "--state",
            str(state),
            "--policy-pack",
            str(pack),
            "--policy-pack-config",
            str(pack / "config.prod.json"),
            "--build-dir",
            str(tmp_path / "build"),
        ]
    )
    out = capsys.readouterr().out
    assert code == 1
    assert "required-tags" in out
    assert "[redacted]" in out
    assert SECRET not in out
    events = (tmp_path / "build" / "preview" / "prod" / "policy-events.jsonl").read_text()
    assert "required-tags" in events
    assert SECRET not in events
