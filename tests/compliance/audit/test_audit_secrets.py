from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from compliance.audit.model import AuditReport
from compliance.audit.writer import RENDERERS, write_reports
from compliance.model.findings import REDACTED, redact
from compliance.model.graph import GraphResource, ResourceGraph, is_secret
from compliance.model.secrets import SecretLeakError, secret_values
from tests.compliance.audit.audit_fixtures import (
    SECRET_LOOKING,
    SECRET_PLAINTEXT,
    make_graph,
    secrets_of,
)


def test_fixture_graph_carries_a_real_pulumi_secret_and_a_secret_looking_value() -> None:
    table = make_graph().resources[2]
    stream_label = table.outputs["streamLabel"]
    assert is_secret(stream_label)
    assert json.loads(stream_label["plaintext"]) == SECRET_PLAINTEXT
    assert table.inputs["masterPassword"] == SECRET_LOOKING


def test_no_secret_appears_in_any_of_the_four_reports(
    project_dir: Path, report: AuditReport, tmp_path: Path
) -> None:
    written = write_reports(report, tmp_path, secrets_of(project_dir))
    assert sorted(p.name for p in written) == sorted(RENDERERS)
    for path in written:
        text = path.read_text()
        for secret in (SECRET_PLAINTEXT, SECRET_LOOKING):
            assert secret not in text, f"{secret} in {path.name}"
            assert json.dumps(secret)[1:-1] not in text
    audit = json.loads((tmp_path / "audit.json").read_text())
    pass_finding = next(f for f in audit["findings"] if f["propertyPath"] == "masterPassword")
    assert pass_finding["observed"] == REDACTED
    assert pass_finding["message"] == f"key protected; stream {REDACTED}, password {REDACTED}"
    accepted = next(f for f in audit["findings"] if f["rule"] == "CKV_AWS_119")
    assert accepted["observed"] == {"enabled": True, "kmsKeyArn": REDACTED}


def test_a_secret_reaching_a_rendered_file_stops_every_write(
    project_dir: Path, report: AuditReport, tmp_path: Path
) -> None:
    first = report.findings[0]
    leaked = replace(
        report,
        findings=(
            replace(first, finding=replace(first.finding, message=SECRET_PLAINTEXT)),
            *report.findings[1:],
        ),
    )
    with pytest.raises(SecretLeakError, match="survived redaction"):
        write_reports(leaked, tmp_path, secrets_of(project_dir))
    assert list(tmp_path.iterdir()) == []


def test_values_too_short_to_scrub_from_free_text_are_still_redacted_where_observed() -> None:
    graph = ResourceGraph(
        project="payments",
        stack="prod",
        resources=(
            GraphResource(
                urn="urn:pulumi:prod::payments::aws:ssm/parameter:Parameter::p",
                type="aws:ssm/parameter:Parameter",
                custom=True,
                inputs={"apiToken": "12345", "password": "long-enough"},
            ),
        ),
    )
    assert secret_values(graph, []) == {"long-enough"}
    assert redact("12345", "apiToken") == REDACTED
