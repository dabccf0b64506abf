"""`audit.json`: the report for tools, described by `audit.schema.json` next to this module."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from compliance.audit.coverage import Coverage
from compliance.audit.locate import SourceLocation
from compliance.audit.model import AuditReport, ControlResult, FailOn, ReportedFinding
from compliance.audit.provenance import FileDigest, Provenance
from compliance.model.findings import ResourceRef

SCHEMA_VERSION = "2.4.0"
"""Major: a field removed or its meaning changed; minor: a field added; patch: wording."""
SCHEMA_FILE = "audit.schema.json"


def load_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(
        resources.files("compliance.audit").joinpath(SCHEMA_FILE).read_text()
    )
    return schema


def render_json(report: AuditReport) -> str:
    return json.dumps(to_document(report), indent=2, ensure_ascii=False, default=str) + "\n"


def to_document(report: AuditReport) -> dict[str, Any]:
    return {
        "schemaVersion": SCHEMA_VERSION,
        "provenance": _provenance(report.provenance),
        "summary": {
            "controls": report.status_counts(),
            "findingsBySeverity": report.severity_counts(),
            "findings": len(report.findings),
            "notApplicable": report.not_applicable,
            "blockingFindings": len(report.failed(FailOn.MANDATORY)),
            "resources": len(report.inventory),
        },
        "controls": [_control(c) for c in report.controls],
        "rules": [
            {
                "source": rule.source.value,
                "id": rule.id,
                "description": rule.description,
                "remediation": rule.remediation,
                "controls": list(rule.controls),
                "severity": rule.severity.value,
                "enforcement": rule.enforcement.value,
                "findingsByOutcome": dict(rule.counts),
                "notApplicable": rule.not_applicable,
            }
            for rule in report.rules
        ],
        "findings": [_finding(f) for f in report.findings],
        "acceptedRisks": [
            {
                "findingId": f.id,
                "source": f.finding.source.value,
                "rule": f.finding.rule,
                "controls": list(f.finding.controls),
                "resource": _resource(f.finding.resource),
                "justification": f.finding.accepted_risk.justification,
                "owner": f.finding.accepted_risk.owner,
                "scope": f.finding.accepted_risk.scope,
            }
            for f in report.accepted_risks
            if f.finding.accepted_risk
        ],
        "disagreements": [
            {
                "control": d.control,
                "resource": _resource(d.resource),
                "verdicts": {s.value: o.value for s, o in sorted(d.verdicts.items())},
                "detail": d.detail,
            }
            for d in report.disagreements
        ],
        "coverage": _coverage(report.coverage),
        "inventory": [
            {
                "urn": item.urn,
                "type": item.type,
                "name": item.name,
                "declaredAt": _location(item.location),
                "checkedByCheckov": item.checked_by_checkov,
            }
            for item in report.inventory
        ],
    }


def _provenance(provenance: Provenance) -> dict[str, Any]:
    pack = provenance.policy_pack
    return {
        "generatedAt": provenance.generated_at,
        "git": {
            "commit": provenance.git.commit,
            "dirty": provenance.git.dirty,
            "detail": provenance.git.detail,
        },
        "project": provenance.project,
        "stack": provenance.stack,
        "mode": provenance.mode,
        "tools": dict(provenance.tools),
        "policyPack": (
            {"name": pack.name, "version": pack.version, "environment": dict(pack.environment)}
            if pack
            else None
        ),
        "sha256": {
            "stackConfig": _digest(provenance.stack_config),
            "stateFile": _digest(provenance.state_file),
            "resourceGraph": provenance.resource_graph_sha256,
            "policyConfig": _digest(provenance.policy_config),
        },
        "live": (
            {
                "verifiedAt": live.verified_at,
                "account": live.account,
                "region": live.region,
                "endpoint": live.endpoint,
            }
            if (live := provenance.live)
            else None
        ),
    }


def _digest(digest: FileDigest | None) -> dict[str, Any] | None:
    return {"path": digest.path, "sha256": digest.sha256} if digest else None


def _coverage(coverage: Coverage) -> dict[str, Any]:
    return {
        "concernsByEngine": coverage.by_engine(),
        "concerns": [
            {
                "id": result.concern.id,
                "concern": result.concern.concern,
                "requirements": list(result.concern.requirements),
                "references": {
                    key: list(names) for key, names in result.concern.references.items()
                },
                "coveredBy": [
                    {"engine": owner.engine.value, "name": owner.name}
                    for owner in result.concern.owners
                ],
                "notAdopted": result.concern.not_adopted,
                "rationale": result.concern.rationale,
                "status": result.status.value if result.status else None,
                "rules": list(result.rules),
                "notRun": list(result.missing),
            }
            for result in coverage.concerns
        ],
        "requirements": [
            {
                "id": entry.requirement,
                "automated": list(entry.automated),
                "notAdopted": list(entry.not_adopted),
            }
            for entry in coverage.requirements
        ],
        "uncovered": [entry.requirement for entry in coverage.uncovered],
    }


def _control(result: ControlResult) -> dict[str, Any]:
    control = result.control
    return {
        "id": control.id,
        "framework": control.framework,
        "version": control.version,
        "reference": control.reference,
        "title": control.title,
        "status": result.status.value,
        "rules": list(result.rules),
        "resourcesChecked": result.resources_checked,
        "stackChecked": result.stack_checked,
        "findings": result.findings,
        "findingsByOutcome": dict(result.counts),
        "notApplicable": result.not_applicable,
        "blockingFindings": result.blocking,
        "resources": [
            {
                "resource": _resource(entry.resource),
                "status": entry.status.value,
                "findingIds": list(entry.finding_ids),
            }
            for entry in result.resources
        ],
    }


def _finding(reported: ReportedFinding) -> dict[str, Any]:
    finding = reported.finding
    return {
        "id": reported.id,
        "source": finding.source.value,
        "rule": finding.rule,
        "controls": list(finding.controls),
        "severity": finding.severity.value,
        "enforcement": finding.enforcement.value,
        "outcome": finding.outcome.value,
        "resource": _resource(finding.resource),
        "propertyPath": finding.property_path,
        "observed": finding.observed,
        "message": finding.message,
        "remediation": finding.remediation,
        "acceptedRisk": (
            {
                "justification": finding.accepted_risk.justification,
                "owner": finding.accepted_risk.owner,
                "scope": finding.accepted_risk.scope,
            }
            if finding.accepted_risk
            else None
        ),
        "declaredAt": _location(reported.location),
    }


def _resource(resource: ResourceRef | None) -> dict[str, str] | None:
    return {"urn": resource.urn, "type": resource.type, "name": resource.name} if resource else None


def _location(location: SourceLocation) -> dict[str, Any]:
    return {"path": location.path, "line": location.line, "declared": location.declared}
