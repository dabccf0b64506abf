"""`audit.sarif`: SARIF 2.1.0 for code scanning, one run per engine.

Results are what needs a person's attention: failures, accepted risks (as suppressed results
with their written justification) and rules that could not run. Passes are in `audit.json`,
which also counts the (rule, resource) pairs where a rule did not apply.
"""

from __future__ import annotations

import json
from typing import Any

from compliance.audit.model import AuditReport, ReportedFinding, Rule
from compliance.model.findings import Enforcement, Outcome, Severity, Source

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
ROOT = "PROJECTROOT"
REPORTED_OUTCOMES = (Outcome.FAIL, Outcome.ACCEPTED_RISK, Outcome.NOT_RUN)

# GitHub code scanning ranks security alerts by this score (0.0 - 10.0).
SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
}
ENGINE_NAMES = {
    Source.CROSSGUARD: "Pulumi CrossGuard policy pack",
    Source.CHECKOV: "checkov",
    Source.LIVE: "live verification",
}


def render_sarif(report: AuditReport) -> str:
    return json.dumps(to_sarif(report), indent=2, ensure_ascii=False) + "\n"


def to_sarif(report: AuditReport) -> dict[str, Any]:
    engines = [source for source in Source if any(r.source is source for r in report.rules)]
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [_run(report, engine) for engine in engines],
    }


def _driver(report: AuditReport, engine: Source) -> dict[str, Any]:
    provenance = report.provenance
    pack = provenance.policy_pack
    if engine is Source.CROSSGUARD and pack:
        return {
            "name": pack.name,
            "fullName": f"{ENGINE_NAMES[engine]} {pack.name}",
            "version": pack.version,
            "properties": {"environment": dict(pack.environment)},
        }
    tool = "checkov" if engine is Source.CHECKOV else "payment-stack"
    driver: dict[str, Any] = {"name": engine.value, "fullName": ENGINE_NAMES[engine]}
    if provenance.tools.get(tool):
        driver["version"] = provenance.tools[tool]
    return driver


def _run(report: AuditReport, engine: Source) -> dict[str, Any]:
    rules = [rule for rule in report.rules if rule.source is engine]
    index = {rule.id: position for position, rule in enumerate(rules)}
    provenance = report.provenance
    return {
        "tool": {"driver": {**_driver(report, engine), "rules": [_rule(r) for r in rules]}},
        "automationDetails": {"id": f"payments-audit/{provenance.stack}/{engine.value}/"},
        "originalUriBaseIds": {
            ROOT: {"description": {"text": "The project root: the directory holding Pulumi.yaml."}}
        },
        "invocations": [{"executionSuccessful": True, "endTimeUtc": provenance.generated_at}],
        "results": [
            _result(f, index[f.finding.rule])
            for f in report.findings
            if f.finding.source is engine and f.finding.outcome in REPORTED_OUTCOMES
        ],
        "properties": {
            "project": provenance.project,
            "stack": provenance.stack,
            "mode": provenance.mode,
        },
    }


def _level(enforcement: Enforcement) -> str:
    return "error" if enforcement is Enforcement.MANDATORY else "warning"


def _rule(rule: Rule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "shortDescription": {"text": rule.description},
        "fullDescription": {"text": rule.description},
        "help": {"text": rule.remediation or rule.description},
        "defaultConfiguration": {
            "level": "none"
            if rule.enforcement is Enforcement.DISABLED
            else _level(rule.enforcement)
        },
        "properties": {
            "controls": list(rule.controls),
            "severity": rule.severity.value,
            "enforcement": rule.enforcement.value,
            "security-severity": SECURITY_SEVERITY[rule.severity],
            "tags": ["security", "compliance", *rule.controls],
        },
    }


def _result(reported: ReportedFinding, rule_index: int) -> dict[str, Any]:
    finding = reported.finding
    location = reported.location
    result: dict[str, Any] = {
        "ruleId": finding.rule,
        "ruleIndex": rule_index,
        "kind": "open" if finding.outcome is Outcome.NOT_RUN else "fail",
        "level": "none" if finding.outcome is Outcome.NOT_RUN else _level(finding.enforcement),
        "message": {"text": finding.message or finding.rule},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": location.path, "uriBaseId": ROOT},
                    "region": {"startLine": location.line},
                },
                **(
                    {
                        "logicalLocations": [
                            {
                                "fullyQualifiedName": finding.resource.urn,
                                "name": finding.resource.name,
                                "kind": "resource",
                            }
                        ]
                    }
                    if finding.resource
                    else {}
                ),
            }
        ],
        "partialFingerprints": {"auditFindingId/v1": reported.id},
        "properties": {
            "controls": list(finding.controls),
            "severity": finding.severity.value,
            "enforcement": finding.enforcement.value,
            "outcome": finding.outcome.value,
            "propertyPath": finding.property_path,
        },
    }
    if finding.accepted_risk:
        risk = finding.accepted_risk
        result["suppressions"] = [
            {
                "kind": "external",
                "status": "accepted",
                "justification": f"{risk.justification} (owner: {risk.owner}; scope: {risk.scope})",
            }
        ]
    return result
