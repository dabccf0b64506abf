"""The audit's verdict as Markdown, for a CI job summary (`audit --summary FILE`).

The controls by status, what blocks (the findings that make the audit fail), what could not be
judged, and every control in a folded table. Everything taken from the stack or an engine's message
is escaped, so a resource name or a message can neither break a table nor become a link, an image
or HTML; long lists stop at `MAX_ROWS` and point to the full report.
"""

from __future__ import annotations

import html
import re
import stat
from collections.abc import Iterable, Sequence
from pathlib import Path

from compliance.audit.labels import MODES, STATUS_LABELS, control_label
from compliance.audit.model import AuditReport, FailOn, ReportedFinding
from compliance.audit.status import ControlStatus
from compliance.model.errors import UserError
from compliance.model.findings import Outcome
from compliance.model.secrets import assert_clean

MAX_ROWS = 50
"""Rows per table; the rest are counted and left to `audit.html`."""
MAX_CELL = 300
"""Characters of one table cell; a longer message is cut and marked with an ellipsis."""
STATUS_MARKS = {
    ControlStatus.FAIL.value: "❌",
    ControlStatus.NOT_RUN.value: "⚠️",
    ControlStatus.ACCEPTED_RISK.value: "🟣",
    ControlStatus.PASS.value: "✅",
    ControlStatus.NOT_APPLICABLE.value: "⚪",
}
# Markdown punctuation a cell's text could use to format, link or end a table cell.
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#!|~])")
_ESCAPED = re.compile(r"\\([^\w\s])")
_SPACE = re.compile(r"\s+")


class SummaryFileError(UserError):
    """`--summary` names a place the summary cannot be appended to."""


def check_summary_file(path: Path) -> None:
    """Refuse, before any analysis, a summary file that could not be appended to: a folder, a
    device or pipe, a missing folder, or one without write permission."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        if not path.parent.is_dir():
            raise SummaryFileError(
                f"{path}: cannot append the summary there: no folder {path.parent}"
            ) from None
        return
    except OSError as error:
        raise SummaryFileError(
            f"{path}: cannot append the summary there: {error.strerror}"
        ) from error
    if not stat.S_ISREG(mode):
        raise SummaryFileError(f"{path}: cannot append the summary there: not a regular file")


def append_summary(path: Path, markdown: str, secrets: frozenset[str]) -> None:
    """Append, as a job summary file expects: earlier steps' summaries stay."""
    assert_clean(path.name, markdown, secrets)
    assert_clean(path.name, plain_text(markdown), secrets)
    try:
        with path.open("a", encoding="utf-8") as summary:
            summary.write(markdown)
    except OSError as error:
        raise SummaryFileError(
            f"{path}: cannot append the summary there: {error.strerror}"
        ) from error


def render_summary(report: AuditReport, fail_on: FailOn, written: Sequence[Path]) -> str:
    provenance = report.provenance
    blocking = report.failed(fail_on)
    counts = report.status_counts()
    lines = [
        f"## {_headline(report, blocking, counts)}",
        "",
        f"{text(MODES.get(provenance.mode, provenance.mode))}. Policy pack "
        f"{_pack(report)}; checkov {text(provenance.tools.get('checkov') or 'not run')}; "
        f"commit {text(provenance.git.commit or 'unknown')}; {text(provenance.generated_at)}.",
        "",
        "| Status | Controls |",
        "|---|---:|",
        *(
            f"| {STATUS_MARKS[status]} {STATUS_LABELS[status]} | {n} |"
            for status, n in counts.items()
        ),
        "",
    ]
    lines += _findings_table(
        f"Blocking findings (--fail-on {fail_on.value})", blocking, "Nothing blocks."
    )
    not_run = [f for f in report.findings if f.finding.outcome is Outcome.NOT_RUN]
    lines += _findings_table("Not evaluated: no verdict either way", not_run, "Every rule ran.")
    lines += [
        "<details><summary>Every control</summary>",
        "",
        "| Control | Title | Status | Resources checked | Rules |",
        "|---|---|---|---:|---:|",
        *(
            f"| {text(control_label(c.control))} | {text(c.control.title)} | "
            f"{STATUS_MARKS[c.status.value]} {STATUS_LABELS[c.status.value]} | "
            f"{c.resources_checked} | {len(c.rules)} |"
            for c in report.controls
        ),
        "",
        "</details>",
        "",
    ]
    if written:
        lines += [
            "Full report: " + ", ".join(text(path.name) for path in written) + ".",
            "",
        ]
    return "\n".join(lines)


def text(value: str) -> str:
    """`value` as literal text in a Markdown table cell: one line, at most `MAX_CELL`
    characters, no formatting, no HTML."""
    flat = _SPACE.sub(" ", value).strip()
    if len(flat) > MAX_CELL:
        flat = flat[: MAX_CELL - 1] + "…"
    escaped = flat.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MARKDOWN.sub(r"\\\1", escaped)


def plain_text(markdown: str) -> str:
    """What `text` escaped, as a reader sees it."""
    return html.unescape(_ESCAPED.sub(r"\1", markdown))


def _headline(
    report: AuditReport, blocking: Sequence[ReportedFinding], counts: dict[str, int]
) -> str:
    where = f"{text(report.provenance.project)}/{text(report.provenance.stack)}"
    if blocking:
        return f"❌ Audit of {where}: {len(blocking)} blocking finding(s)"
    failed = counts[ControlStatus.FAIL.value]
    not_run = counts[ControlStatus.NOT_RUN.value]
    if failed or not_run:
        return (
            f"⚠️ Audit of {where}: nothing blocks, but {failed} control(s) fail "
            f"and {not_run} could not be evaluated"
        )
    return f"✅ Audit of {where}: every control with a check passes or is an accepted risk"


def _pack(report: AuditReport) -> str:
    pack = report.provenance.policy_pack
    return text(f"{pack.name} {pack.version}") if pack else "not run"


def _findings_table(title: str, findings: Sequence[ReportedFinding], when_empty: str) -> list[str]:
    if not findings:
        return [f"### {title}", "", when_empty, ""]
    shown = findings[:MAX_ROWS]
    lines = [
        f"### {title}",
        "",
        "| Engine / rule | Enforcement | Resource | Controls | Finding |",
        "|---|---|---|---|---|",
        *_rows(shown),
        "",
    ]
    if len(findings) > len(shown):
        lines += [f"… and {len(findings) - len(shown)} more: see audit.html.", ""]
    return lines


def _rows(findings: Iterable[ReportedFinding]) -> Iterable[str]:
    for reported in findings:
        finding = reported.finding
        resource = finding.resource.name if finding.resource else "(the stack)"
        message = finding.message.splitlines()[0] if finding.message else ""
        yield (
            f"| {text(f'{finding.source.value}/{finding.rule}')} | "
            f"{text(finding.enforcement.value)} | {text(resource)} | "
            f"{text(', '.join(finding.controls))} | {text(message)} |"
        )
