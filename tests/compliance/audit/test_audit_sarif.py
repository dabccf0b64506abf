from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from compliance.audit.model import AuditReport
from compliance.audit.sarif import render_sarif
from tests.compliance.audit.audit_fixtures import BUCKET, STORAGE_MODULE

PROJECT_ROOT = Path(__file__).resolve().parents[3]
OFFICIAL_SCHEMA = PROJECT_ROOT.parent / "shared" / "schemas" / "sarif-schema-2.1.0.json"


@pytest.fixture(scope="module")
def sarif(report: AuditReport) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(render_sarif(report))
    return document


@pytest.mark.skipif(
    not OFFICIAL_SCHEMA.is_file(),
    reason=f"the official SARIF 2.1.0 schema is not at {OFFICIAL_SCHEMA}",
)
def test_sarif_validates_against_the_official_sarif_2_1_0_schema(sarif: dict[str, Any]) -> None:
    schema = json.loads(OFFICIAL_SCHEMA.read_text())
    jsonschema.Draft4Validator(schema).validate(sarif)


def test_sarif_has_one_run_per_engine_with_its_rules(sarif: dict[str, Any]) -> None:
    drivers = [run["tool"]["driver"] for run in sarif["runs"]]
    assert [(d["name"], d.get("version")) for d in drivers] == [
        ("payments-policies", "1.2.0"),
        ("checkov", "3.3.30"),
    ]
    assert len({run["automationDetails"]["id"] for run in sarif["runs"]}) == 2
    rule = next(r for r in drivers[0]["rules"] if r["id"] == "s3-bucket-cmk-encryption")
    assert rule["help"]["text"].startswith("Set the bucket's server-side encryption")
    assert rule["properties"]["controls"] == ["pci-dss@4.0.1:3.5.1"]
    assert rule["properties"]["severity"] == "high"


def test_sarif_locates_a_failure_on_the_line_declaring_the_resource(sarif: dict[str, Any]) -> None:
    crossguard = sarif["runs"][0]
    [failure] = [r for r in crossguard["results"] if r["kind"] == "fail"]
    location = failure["locations"][0]
    assert location["physicalLocation"]["artifactLocation"]["uri"] == "infra/storage.py"
    assert location["physicalLocation"]["region"]["startLine"] == (
        STORAGE_MODULE.splitlines().index("        self.bucket = aws.s3.Bucket(") + 1
    )
    assert location["logicalLocations"][0]["fullyQualifiedName"] == BUCKET
    assert failure["level"] == "error"
    assert crossguard["tool"]["driver"]["rules"][failure["ruleIndex"]]["id"] == failure["ruleId"]


def test_sarif_reports_accepted_risks_as_suppressed_and_leaves_passes_out(
    sarif: dict[str, Any],
) -> None:
    checkov = sarif["runs"][1]
    accepted = next(r for r in checkov["results"] if r["ruleId"] == "CKV_AWS_119")
    [suppression] = accepted["suppressions"]
    assert suppression["status"] == "accepted"
    assert "AWS owned key" in suppression["justification"]
    outcomes = {r["properties"]["outcome"] for run in sarif["runs"] for r in run["results"]}
    assert outcomes == {"fail", "accepted-risk", "not-run"}
