"""The audit report: every engine's findings, rolled up control by control.

`build_report` is the only place the verdicts are computed; the JSON, SARIF, JUnit and HTML
writers render the `AuditReport` it returns and decide nothing themselves.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

from compliance.audit.coverage import Coverage, build_coverage
from compliance.audit.disagreements import Disagreement
from compliance.audit.locate import SourceLocation, SourceLocator
from compliance.audit.provenance import Provenance
from compliance.audit.status import ControlStatus, status_of
from compliance.model.controls import CATALOGUE, Control, lookup
from compliance.model.coverage import Concern, load_catalogue
from compliance.model.findings import (
    Enforcement,
    Finding,
    Outcome,
    ResourceRef,
    Severity,
    Source,
    redact,
)
from compliance.model.graph import ResourceGraph
from compliance.model.pack import DEFAULT_SEVERITY, PackInfo
from compliance.model.secrets import scrub, secret_values

CHECKED_OUTCOMES = frozenset({Outcome.PASS, Outcome.FAIL, Outcome.ACCEPTED_RISK})
VERDICTS = (Outcome.PASS, Outcome.FAIL, Outcome.ACCEPTED_RISK, Outcome.NOT_RUN)
"""The outcomes reported as findings. A rule that did not apply to a resource (not-applicable)
is no finding: such pairs are counted per control and per rule."""
SEVERITY_ORDER = (Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW)
MAX_FIELD = 4000
"""Characters of a finding's message or observed value in the report; the rest is cut, marked."""


class FailOn(StrEnum):
    """Which failures make the audit exit non-zero."""

    MANDATORY = "mandatory"
    ANY = "any"
    NONE = "none"


@dataclass(frozen=True)
class Rule:
    """One engine's rule as the report documents it (a SARIF rule, a "how to fix" entry)."""

    source: Source
    id: str
    description: str
    remediation: str
    controls: tuple[str, ...]
    severity: Severity
    enforcement: Enforcement
    counts: Mapping[str, int]
    """Its findings by outcome (every verdict present, zeros included)."""
    not_applicable: int
    """Resources (or the stack) it did not apply to."""


@dataclass(frozen=True)
class ReportedFinding:
    id: str
    """Stable across runs: derived from engine, rule, resource and property path."""
    finding: Finding
    location: SourceLocation


@dataclass(frozen=True)
class ControlResource:
    """One resource (None: the stack as a whole) under one control, with its evidence."""

    resource: ResourceRef | None
    status: ControlStatus
    finding_ids: tuple[str, ...]


@dataclass(frozen=True)
class ControlResult:
    control: Control
    status: ControlStatus
    rules: tuple[str, ...]
    """`<engine>/<rule>` of every rule mapped to the control, whether or not it found anything."""
    resources_checked: int
    """Distinct resources with a pass, fail or accepted-risk finding (the stack not counted)."""
    stack_checked: bool
    """A rule judged the stack as a whole under this control (a stack-wide check)."""
    counts: Mapping[str, int]
    """Findings by outcome (every verdict present, zeros included)."""
    not_applicable: int
    """(rule, resource) pairs under the control where the rule did not apply."""
    blocking: int
    """Failed mandatory findings."""
    resources: tuple[ControlResource, ...]

    @property
    def findings(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class InventoryItem:
    urn: str
    type: str
    name: str
    location: SourceLocation
    checked_by_checkov: bool = True
    """False for a resource of another provider than pulumi-aws: checkov has no Terraform type
    for it, so only the policy pack judged it."""


@dataclass(frozen=True)
class AuditReport:
    provenance: Provenance
    controls: tuple[ControlResult, ...]
    rules: tuple[Rule, ...]
    findings: tuple[ReportedFinding, ...]
    inventory: tuple[InventoryItem, ...]
    disagreements: tuple[Disagreement, ...]
    coverage: Coverage

    @property
    def not_applicable(self) -> int:
        return sum(rule.not_applicable for rule in self.rules)

    @property
    def accepted_risks(self) -> tuple[ReportedFinding, ...]:
        return tuple(f for f in self.findings if f.finding.accepted_risk is not None)

    def failed(self, fail_on: FailOn) -> tuple[ReportedFinding, ...]:
        """The failures that make the audit fail under `fail_on`."""
        if fail_on is FailOn.NONE:
            return ()
        return tuple(
            f
            for f in self.findings
            if f.finding.blocks or (fail_on is FailOn.ANY and f.finding.outcome is Outcome.FAIL)
        )

    def status_counts(self) -> dict[str, int]:
        counts = Counter(c.status for c in self.controls)
        return {status.value: counts[status] for status in ControlStatus}

    def severity_counts(self) -> dict[str, dict[str, int]]:
        """Findings by severity, then outcome."""
        table = {s.value: {o.value: 0 for o in VERDICTS} for s in SEVERITY_ORDER}
        for reported in self.findings:
            finding = reported.finding
            table[finding.severity.value][finding.outcome.value] += 1
        return table


@dataclass(frozen=True)
class AuditInputs:
    graph: ResourceGraph
    findings: Sequence[Finding]
    """Every engine's findings; accepted risks and not-applicable verdicts included (duplicates
    are dropped)."""
    pack: PackInfo | None
    disagreements: Sequence[Disagreement]
    project_dir: Path
    checkov_skipped: frozenset[str] = frozenset()
    """URNs of the resources checkov could not check (`CheckovRun.skipped`)."""
    catalogue: tuple[Concern, ...] = field(default_factory=load_catalogue)

    @functools.cached_property
    def secrets(self) -> frozenset[str]:
        """What the report must never show: the values `redact` hides in the graph and findings."""
        return secret_values(self.graph, self.findings)


def build_report(inputs: AuditInputs, provenance: Provenance) -> AuditReport:
    """The report, every secret of the graph and the findings scrubbed from its strings."""
    locator = SourceLocator(inputs.project_dir)
    unique = _unique(inputs.findings)
    not_applicable = [f for f in unique if f.outcome is Outcome.NOT_APPLICABLE]
    findings = _identify([f for f in unique if f.outcome is not Outcome.NOT_APPLICABLE], locator)
    rules = _rules(inputs.pack, unique)
    report = AuditReport(
        provenance=provenance,
        controls=_controls(findings, rules, not_applicable),
        rules=rules,
        findings=findings,
        inventory=tuple(
            InventoryItem(
                r.urn, r.type, r.name, locator.locate(r.urn), r.urn not in inputs.checkov_skipped
            )
            for r in sorted(inputs.graph.custom_resources(), key=lambda r: r.urn)
        ),
        disagreements=tuple(
            sorted(inputs.disagreements, key=lambda d: (d.control, d.resource.urn))
        ),
        coverage=build_coverage(inputs.catalogue, {(r.source, r.id): r.counts for r in rules}),
    )
    return scrub(report, inputs.secrets)


def _finding_key(finding: Finding) -> tuple[str, ...]:
    return (*finding.sort_key(), finding.outcome.value, finding.message)


def _unique(findings: Iterable[Finding]) -> list[Finding]:
    by_key = {_finding_key(f): f for f in findings}
    return [by_key[key] for key in sorted(by_key)]


def _identify(findings: Sequence[Finding], locator: SourceLocator) -> tuple[ReportedFinding, ...]:
    seen: Counter[str] = Counter()
    reported = []
    for finding in findings:
        digest = hashlib.sha256("\0".join(finding.sort_key()).encode()).hexdigest()[:16]
        seen[digest] += 1
        identifier = digest if seen[digest] == 1 else f"{digest}-{seen[digest]}"
        location = locator.locate(finding.resource.urn if finding.resource else None)
        clean = replace(
            finding,
            message=bounded(finding.message),
            observed=_bounded_value(redact(finding.observed, finding.property_path or "")),
        )
        reported.append(ReportedFinding(identifier, clean, location))
    return tuple(reported)


def bounded(text: str, limit: int = MAX_FIELD) -> str:
    """`text`, cut to `limit` characters with the cut marked."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… [{len(text) - limit:,} characters cut]"


def _bounded_value(value: Any) -> Any:
    """An observed value as it is, or as the start of its JSON text when that is too long."""
    text = json.dumps(value, sort_keys=True, default=str)
    return value if len(text) <= MAX_FIELD else bounded(text)


def _rules(pack: PackInfo | None, findings: Sequence[Finding]) -> tuple[Rule, ...]:
    """Every rule of the pack and every rule that produced a finding, with its tallies."""
    by_rule: dict[tuple[Source, str], list[Finding]] = defaultdict(list)
    for finding in findings:
        by_rule[(finding.source, finding.rule)].append(finding)
    policies = (
        {(Source.CROSSGUARD, policy.name): policy for policy in pack.policies} if pack else {}
    )
    rules = []
    for key in sorted(policies.keys() | by_rule.keys()):
        found = by_rule[key]
        outcomes = Counter(f.outcome for f in found)
        policy = policies.get(key)
        if policy is None and key[0] is Source.LIVE and pack is not None:
            policy = pack.policy(key[1])  # the live engine verifies the pack's own policies
        if policy is not None:
            description = policy.description
            remediation = policy.remediation_steps or _common_remediation(found, description)
            controls: tuple[str, ...] = (policy.control_id,)
            severity = policy.severity or DEFAULT_SEVERITY
            enforcement = policy.enforcement
        else:
            first = found[0]
            description = first.extra.get("check_name", first.rule)
            remediation = _common_remediation(found, description)
            controls = tuple(sorted({c for f in found for c in f.controls}))
            severity, enforcement = first.severity, first.enforcement
        rules.append(
            Rule(
                source=key[0],
                id=key[1],
                description=description,
                remediation=remediation,
                controls=controls,
                severity=severity,
                enforcement=enforcement,
                counts={outcome.value: outcomes[outcome] for outcome in VERDICTS},
                not_applicable=outcomes[Outcome.NOT_APPLICABLE],
            )
        )
    return tuple(rules)


def _common_remediation(findings: Sequence[Finding], description: str) -> str:
    """The advice every finding of a rule shares; a rule's help names no single resource."""
    general = {
        f.remediation
        for f in findings
        if f.remediation and not (f.resource and f.resource.name in f.remediation)
    }
    if len(general) == 1:
        return general.pop()
    return f"Change each resource that fails this check so that: {description.rstrip('.')}."


def _controls(
    findings: Sequence[ReportedFinding],
    rules: Sequence[Rule],
    not_applicable: Sequence[Finding],
) -> tuple[ControlResult, ...]:
    by_control: dict[str, list[ReportedFinding]] = defaultdict(list)
    for reported in findings:
        for control in reported.finding.controls:
            by_control[control].append(reported)
    rules_by_control: dict[str, list[str]] = defaultdict(list)
    for rule in rules:
        for control in rule.controls:
            rules_by_control[control].append(f"{rule.source.value}/{rule.id}")
    skipped = Counter(control for finding in not_applicable for control in finding.controls)
    identifiers = {c.id for c in CATALOGUE} | set(by_control) | set(rules_by_control) | set(skipped)
    named = {identifier: lookup(identifier) for identifier in identifiers}
    return tuple(
        _control(named[i], by_control[i], rules_by_control[i], skipped[i])
        for i in sorted(identifiers, key=lambda i: _control_order(named[i]))
    )


_FRAMEWORK_ORDER = tuple(dict.fromkeys(control.framework for control in CATALOGUE))


def _control_order(control: Control) -> tuple[int, str, tuple[tuple[int, int, str], ...]]:
    """The catalogue's framework order, then references in numeric order (3.5.1 before 10.2.1)."""
    rank = (
        _FRAMEWORK_ORDER.index(control.framework)
        if control.framework in _FRAMEWORK_ORDER
        else len(_FRAMEWORK_ORDER)
    )
    parts = control.reference.split(".")
    return (
        rank,
        f"{control.framework}@{control.version}",
        tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in parts),
    )


def _control(
    control: Control, findings: Sequence[ReportedFinding], rules: Sequence[str], not_applicable: int
) -> ControlResult:
    by_resource: dict[str, list[ReportedFinding]] = defaultdict(list)
    for reported in findings:
        by_resource[reported.finding.resource.urn if reported.finding.resource else ""].append(
            reported
        )
    resources = tuple(
        ControlResource(
            resource=group[0].finding.resource,
            status=status_of(r.finding.outcome for r in group),
            finding_ids=tuple(r.id for r in group),
        )
        for _, group in sorted(by_resource.items())
    )
    checked = {
        r.finding.resource.urn if r.finding.resource else None
        for r in findings
        if r.finding.outcome in CHECKED_OUTCOMES
    }
    counts = Counter(r.finding.outcome for r in findings)
    return ControlResult(
        control=control,
        status=status_of(counts),
        rules=tuple(sorted(set(rules))),
        resources_checked=len(checked - {None}),
        stack_checked=None in checked,
        counts={outcome.value: counts[outcome] for outcome in VERDICTS},
        not_applicable=not_applicable,
        blocking=sum(1 for r in findings if r.finding.blocks),
        resources=resources,
    )
