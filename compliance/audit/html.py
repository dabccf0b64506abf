"""`audit.html`: the report for people, one self-contained printable page (jinja2, autoescaped)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from compliance.audit.labels import MODES, STATUS_LABELS, control_label
from compliance.audit.model import (
    SEVERITY_ORDER,
    AuditReport,
    FailOn,
    ReportedFinding,
    Rule,
)
from compliance.audit.status import ControlStatus
from compliance.model.findings import (
    AcceptedRisk,
    Enforcement,
    Finding,
    Outcome,
    ResourceRef,
    Source,
)

TEMPLATE = "audit.html.j2"
STATUS_COLOURS = {
    ControlStatus.FAIL.value: "#b42318",
    ControlStatus.NOT_RUN.value: "#b54708",
    ControlStatus.ACCEPTED_RISK.value: "#6941c6",
    ControlStatus.PASS.value: "#067647",
    ControlStatus.NOT_APPLICABLE.value: "#98a2b3",
}
# What a reader must act on, in order: blocking failures, other failures, unknowns. Accepted
# risks are decisions already taken: they have their own section.
_ATTENTION = (Outcome.FAIL, Outcome.NOT_RUN)
CHART_LABEL_WIDTH = 130
CHART_BAR_WIDTH = 440
CHART_ROW_HEIGHT = 30


@dataclass(frozen=True)
class AcceptedGroup:
    """One written acceptance and the resources it covers (the same rule, reason and owner)."""

    rule: Rule | None
    first: Finding
    resources: tuple[ResourceRef | None, ...]


@dataclass(frozen=True)
class Segment:
    status: str
    count: int
    x: float
    width: float
    colour: str


@dataclass(frozen=True)
class Bar:
    label: str
    y: int
    total: int
    segments: tuple[Segment, ...]


def _bar(label: str, row: int, counts: dict[str, int], scale_total: int) -> Bar:
    segments = []
    x = float(CHART_LABEL_WIDTH)
    for status, colour in STATUS_COLOURS.items():
        count = counts.get(status, 0)
        if count:
            width = round(CHART_BAR_WIDTH * count / scale_total, 2)
            segments.append(Segment(status, count, round(x, 2), width, colour))
            x += width
    return Bar(label, row * CHART_ROW_HEIGHT, sum(counts.values()), tuple(segments))


def chart_bars(report: AuditReport) -> tuple[Bar, ...]:
    """Controls by status (its own scale), then the evaluated findings of each severity by
    outcome (one scale for the four, so severities compare)."""
    controls = report.status_counts()
    by_severity = report.severity_counts()
    widest = max([*(sum(c.values()) for c in by_severity.values()), 1])
    bars = [_bar("Controls", 0, controls, max(sum(controls.values()), 1))]
    bars += [
        _bar(f"{severity.capitalize()} findings", row, counts, widest)
        for row, (severity, counts) in enumerate(by_severity.items(), start=1)
    ]
    return tuple(bars)


def describe_type(type_token: str) -> str:
    """`aws:s3/bucketVersioning:BucketVersioning` -> `AWS s3 · Bucket Versioning`."""
    match = re.fullmatch(r"([\w-]+):([\w-]+)(?:/[\w-]+)?:(\w+)", type_token)
    if match is None:
        return type_token
    provider, module, cls = match.groups()
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", cls)
    return f"{provider.upper()} {module} · {words}"


def accepted_groups(report: AuditReport) -> tuple[AcceptedGroup, ...]:
    rules = {(r.source, r.id): r for r in report.rules}
    grouped: dict[tuple[Source, str, AcceptedRisk | None], list[Finding]] = {}
    for reported in report.accepted_risks:
        finding = reported.finding
        grouped.setdefault((finding.source, finding.rule, finding.accepted_risk), []).append(
            finding
        )
    return tuple(
        AcceptedGroup(
            rules.get((found[0].source, found[0].rule)),
            found[0],
            tuple(f.resource for f in found),
        )
        for found in grouped.values()
    )


def _attention_key(reported: ReportedFinding) -> tuple[int, int, int, str]:
    finding = reported.finding
    return (
        _ATTENTION.index(finding.outcome),
        0 if finding.enforcement is Enforcement.MANDATORY else 1,
        SEVERITY_ORDER.index(finding.severity),
        reported.id,
    )


def render_html(report: AuditReport) -> str:
    environment = Environment(
        loader=PackageLoader("compliance.audit", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters["describe_type"] = describe_type
    environment.filters["control_label"] = control_label
    rules: dict[tuple[str, str], Rule] = {(r.source.value, r.id): r for r in report.rules}
    context: dict[str, Any] = {
        "report": report,
        "provenance": report.provenance,
        "status_counts": report.status_counts(),
        "severity_counts": report.severity_counts(),
        "blocking": report.failed(FailOn.MANDATORY),
        "bars": chart_bars(report),
        "chart_height": CHART_ROW_HEIGHT * (len(SEVERITY_ORDER) + 1) + 30,
        "chart_width": CHART_LABEL_WIDTH + CHART_BAR_WIDTH + 50,
        "colours": STATUS_COLOURS,
        "labels": STATUS_LABELS,
        "modes": MODES,
        "controls_by_id": {c.control.id: c.control for c in report.controls},
        "uncovered": [c for c in report.controls if not c.rules],
        "accepted": accepted_groups(report),
        "findings_by_id": {f.id: f for f in report.findings},
        "to_fix": sorted(
            (f for f in report.findings if f.finding.outcome in _ATTENTION), key=_attention_key
        ),
        "rule_of": lambda f: rules.get((f.source.value, f.rule)),
        "live_controls": {
            control
            for reported in report.findings
            if reported.finding.source is Source.LIVE
            and reported.finding.outcome in (Outcome.PASS, Outcome.FAIL, Outcome.ACCEPTED_RISK)
            for control in reported.finding.controls
        },
    }
    return environment.get_template(TEMPLATE).render(context)
