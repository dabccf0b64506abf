from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest

from compliance.audit.html import render_html
from compliance.audit.json_report import SCHEMA_VERSION, load_schema, render_json
from compliance.audit.model import AuditReport, build_report
from compliance.audit.provenance import git_state, graph_sha256
from compliance.model.graph import GraphResource
from tests.compliance.audit.audit_fixtures import NOW, make_graph, make_inputs


def test_audit_json_validates_against_its_schema(report: AuditReport) -> None:
    document = json.loads(render_json(report))
    jsonschema.Draft202012Validator(load_schema()).validate(document)
    assert document["schemaVersion"] == SCHEMA_VERSION


def test_schema_rejects_a_report_missing_a_control_status(report: AuditReport) -> None:
    document = json.loads(render_json(report))
    del document["controls"][0]["status"]
    with pytest.raises(jsonschema.ValidationError, match="'status' is a required property"):
        jsonschema.Draft202012Validator(load_schema()).validate(document)


def test_not_applicable_pairs_are_counts_and_the_schema_refuses_them_as_findings(
    report: AuditReport,
) -> None:
    document = json.loads(render_json(report))
    assert {f["outcome"] for f in document["findings"]} == {
        "pass",
        "fail",
        "accepted-risk",
        "not-run",
    }
    assert document["summary"]["notApplicable"] == 4
    assert document["summary"]["findings"] == len(document["findings"])
    rule = next(r for r in document["rules"] if r["id"] == "s3-bucket-cmk-encryption")
    assert (rule["notApplicable"], rule["findingsByOutcome"]["fail"]) == (2, 1)
    encryption = next(c for c in document["controls"] if c["id"] == "pci-dss@4.0.1:3.5.1")
    assert (encryption["notApplicable"], encryption["findings"]) == (2, 3)
    document["findings"][0]["outcome"] = "not-applicable"
    with pytest.raises(jsonschema.ValidationError, match="'not-applicable' is not one of"):
        jsonschema.Draft202012Validator(load_schema()).validate(document)


def test_schema_documents_every_field_of_the_top_level_and_provenance() -> None:
    schema = load_schema()
    for section in (schema, schema["properties"]["provenance"]):
        undocumented = [
            name
            for name, field in section["properties"].items()
            if "description" not in field and name != "schemaVersion"
        ]
        assert undocumented == []


def test_json_report_lists_findings_accepted_risks_and_disagreements(report: AuditReport) -> None:
    document = json.loads(render_json(report))
    finding = next(f for f in document["findings"] if f["outcome"] == "fail")
    assert set(finding) >= {
        "source",
        "rule",
        "controls",
        "severity",
        "enforcement",
        "resource",
        "propertyPath",
        "observed",
        "message",
        "remediation",
    }
    [risk] = document["acceptedRisks"]
    assert (risk["rule"], risk["owner"]) == ("CKV_AWS_119", "payments-platform")
    assert risk["justification"].startswith("Table encrypted with the AWS owned key")
    [disagreement] = document["disagreements"]
    assert disagreement["verdicts"] == {"checkov": "fail", "crossguard": "pass"}


def test_resources_checkov_could_not_check_are_marked_in_the_inventory(
    project_dir: Path, report: AuditReport
) -> None:
    password = "urn:pulumi:prod::payments::random:index/randomPassword:RandomPassword::pw"
    inputs = make_inputs(project_dir)
    graph = dataclasses.replace(
        inputs.graph,
        resources=(
            *inputs.graph.resources,
            GraphResource(password, "random:index/randomPassword:RandomPassword", custom=True),
        ),
    )
    skipped = build_report(
        dataclasses.replace(inputs, graph=graph, checkov_skipped=frozenset({password})),
        report.provenance,
    )
    document = json.loads(render_json(skipped))
    jsonschema.Draft202012Validator(load_schema()).validate(document)
    checked = {item["name"]: item["checkedByCheckov"] for item in document["inventory"]}
    assert checked == {"receipts": True, "transactions": True, "payments": True, "pw": False}
    page = render_html(skipped)
    assert "1 of these resources was not checked by checkov" in page
    assert "pw <small>(not checked by checkov)</small>" in page
    assert "not checked by checkov" not in render_html(report)


def test_provenance_digests_the_stack_config_the_graph_and_the_policy_config(
    project_dir: Path, report: AuditReport
) -> None:
    digests = json.loads(render_json(report))["provenance"]["sha256"]
    assert digests["stackConfig"] == {
        "path": "Pulumi.prod.yaml",
        "sha256": hashlib.sha256((project_dir / "Pulumi.prod.yaml").read_bytes()).hexdigest(),
    }
    assert (
        digests["policyConfig"]["sha256"]
        == hashlib.sha256((project_dir / "policy.json").read_bytes()).hexdigest()
    )
    assert digests["resourceGraph"] == graph_sha256(make_graph())


def test_graph_digest_changes_with_any_input_value() -> None:
    graph = make_graph()
    changed = make_graph()
    changed.resources[1].inputs["bucket"] = "receipts-dev"
    assert graph_sha256(graph) != graph_sha256(changed)


def test_provenance_outside_a_git_tree_says_so(report: AuditReport) -> None:
    git = json.loads(render_json(report))["provenance"]["git"]
    assert git == {"commit": None, "dirty": None, "detail": "not a git work tree"}


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_provenance_records_the_commit_and_whether_the_tree_is_dirty(tmp_path: Path) -> None:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-c", "user.name=a", "-c", "user.email=a@b", *args],
            cwd=tmp_path,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()

    git("init", "-q")
    (tmp_path / "Pulumi.yaml").write_text("name: payments\n")
    git("add", "Pulumi.yaml")
    git("commit", "-q", "-m", "project")
    clean = git_state(tmp_path)
    assert (clean.commit, clean.dirty) == (git("rev-parse", "HEAD"), False)
    (tmp_path / "Pulumi.yaml").write_text("name: changed\n")
    assert git_state(tmp_path).dirty is True


def test_provenance_records_tool_versions_and_the_policy_pack(report: AuditReport) -> None:
    provenance = json.loads(render_json(report))["provenance"]
    assert provenance["tools"]["pulumi"] is not None
    assert provenance["tools"]["checkov"] is not None
    assert provenance["policyPack"] == {
        "name": "payments-policies",
        "version": "1.2.0",
        "environment": {"pulumi": "3.272.0", "pulumi-aws": "7.51.1", "pulumi-policy": "1.21.0"},
    }
    assert provenance["generatedAt"] == "2026-11-26T09:30:00Z" == NOW.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert provenance["mode"] == "offline"
