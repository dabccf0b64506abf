"""The checkov cross-check of a resource graph: convert, scan, guard, map and accept."""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from compliance.checkov.accepted_risks import (
    AcceptedRiskEntry,
    check_all_used,
    check_scopes,
    load_accepted_risks,
)
from compliance.checkov.controls import controls_for, severity_for
from compliance.checkov.plan import TerraformPlan, to_terraform_plan
from compliance.checkov.scan import CheckovError, CheckResult, Scan, start
from compliance.model.files import write_atomically
from compliance.model.findings import (
    Enforcement,
    Finding,
    Outcome,
    ResourceRef,
    Source,
    resource_ref,
)
from compliance.model.graph import GraphResource, ResourceGraph


@dataclass(frozen=True)
class CheckovRun:
    findings: tuple[Finding, ...]
    scanned: int
    """Resources checkov read from the plan; always equal to `converted`."""
    converted: int
    checkov_version: str
    skipped: tuple[ResourceRef, ...] = field(default=())
    """Custom resources of other packages than pulumi-aws, which checkov cannot check."""

    @property
    def failed(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.outcome is Outcome.FAIL)

    @property
    def accepted(self) -> tuple[Finding, ...]:
        """The findings an accepted risk covers."""
        return tuple(f for f in self.findings if f.outcome is Outcome.ACCEPTED_RISK)


def run_checkov(
    graph: ResourceGraph,
    accepted_risks: Path,
    *,
    today: datetime.date | None = None,
    plan_file: Path | None = None,
    checkov: Path | None = None,
) -> CheckovRun:
    """Every checkov check over the graph, as findings; raises a `UserError` when checkov did not
    scan every converted resource or the accepted-risks file breaks its rules. `plan_file`, when
    given, receives the Terraform plan checkov read; `today` dates the accepted risks' expiry;
    `checkov` names the checkov to scan with (see `compliance.checkov.environment`)."""
    worker = start(checkov)
    entries = load_accepted_risks(
        accepted_risks,
        worker.known_check_ids(),
        today or datetime.datetime.now(datetime.UTC).date(),
    )
    check_scopes(entries, graph.custom_resources())
    plan = to_terraform_plan(graph)
    if plan_file is not None:
        try:
            write_atomically(plan_file, json.dumps(plan.document, indent=2) + "\n")
        except OSError as error:
            raise CheckovError(
                f"{error.filename or plan_file}: cannot write the Terraform plan: {error.strerror}"
            ) from error
    scan = worker.scan(plan.document)
    check_scanned(plan, scan)
    used: set[AcceptedRiskEntry] = set()
    findings = tuple(
        sorted(
            (
                _finding(result, plan.resources[result.address], entries, used)
                for result in scan.results
            ),
            key=Finding.sort_key,
        )
    )
    check_all_used(entries, used)
    return CheckovRun(
        findings=findings,
        scanned=len(scan.scanned),
        converted=plan.converted,
        checkov_version=scan.checkov_version,
        skipped=tuple(resource_ref(resource) for resource in plan.skipped),
    )


def check_scanned(plan: TerraformPlan, scan: Scan) -> None:
    """No silent pass: checkov must read every converted resource and report on nothing else."""
    converted = {address for address, r in plan.resources.items() if not r.is_provider}
    missing = sorted(converted - scan.scanned)
    unexpected = sorted(
        {result.address for result in scan.results} - plan.resources.keys()
        | (scan.scanned - converted)
    )
    if missing or unexpected or len(scan.scanned) != len(converted):
        raise CheckovError(
            f"checkov scanned {len(scan.scanned)} resources of the {len(converted)} converted"
            + (f"; not scanned: {', '.join(missing)}" if missing else "")
            + (f"; not converted: {', '.join(unexpected)}" if unexpected else "")
        )


def _finding(
    result: CheckResult,
    resource: GraphResource,
    entries: tuple[AcceptedRiskEntry, ...],
    used: set[AcceptedRiskEntry],
) -> Finding:
    entry = None
    if not result.passed:
        entry = next(
            (e for e in entries if e.check == result.check_id and e.covers(resource)), None
        )
    if entry is not None:
        used.add(entry)
    outcome = Outcome.PASS if result.passed else Outcome.FAIL
    extra: Mapping[str, str] = {
        "terraform_address": result.address,
        "check_name": result.check_name,
    }
    if result.evaluated_keys:
        extra = {**extra, "evaluated_keys": ", ".join(result.evaluated_keys)}
    return Finding(
        source=Source.CHECKOV,
        rule=result.check_id,
        controls=controls_for(result.check_id),
        severity=severity_for(result.check_id),
        enforcement=Enforcement.MANDATORY,
        outcome=Outcome.ACCEPTED_RISK if entry else outcome,
        message=_message(result, resource),
        resource=resource_ref(resource),
        remediation=result.guideline or f"Change {resource.name} so that: {result.check_name}.",
        accepted_risk=entry.as_accepted_risk() if entry else None,
        extra=extra,
    )


def _message(result: CheckResult, resource: GraphResource) -> str:
    verdict = "passed" if result.passed else "failed"
    return f"{result.check_id} {verdict} on {resource.name}: {result.check_name}"
