"""The CI job summary (`audit --summary FILE`), rendered by a CommonMark reader with tables (as
GitHub renders job summaries) and read back as a reviewer sees it."""

from __future__ import annotations

import dataclasses
import os
from html.parser import HTMLParser
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from compliance.audit.model import AuditReport, FailOn
from compliance.audit.summary import (
    MAX_CELL,
    MAX_ROWS,
    SummaryFileError,
    append_summary,
    check_summary_file,
    render_summary,
)
from compliance.cli import main
from compliance.model.findings import Finding, Outcome, ResourceRef
from compliance.model.secrets import SecretLeakError
from tests.compliance.audit.audit_fixtures import (
    BUCKET,
    SECRET_LOOKING,
    SECRET_PLAINTEXT,
    crossguard,
    make_findings,
    make_report,
    secrets_of,
)

HOSTILE = (
    "a|b <script>alert(1)</script> ![pixel](https://example.com/p.png) **bold** "
    "[link](https://example.com) `code` <img src=x onerror=alert(1)>"
)


class Page(HTMLParser):
    """The rendered summary: its tables (rows of cell texts), headings and every tag used."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self.headings: list[str] = []
        self.tags: set[str] = set()
        self._cell: list[str] | None = None
        self._heading: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in {"td", "th"}:
            self._cell = []
        elif tag in {"h2", "h3"}:
            self._heading = []

    def handle_endtag(self, tag: str) -> None:
        if tag in {"td", "th"} and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell))
            self._cell = None
        elif tag in {"h2", "h3"} and self._heading is not None:
            self.headings.append("".join(self._heading))
            self._heading = None

    def handle_data(self, data: str) -> None:
        for part in (self._cell, self._heading):
            if part is not None:
                part.append(data)


def read(markdown: str) -> Page:
    # GitHub's job summaries allow HTML (the folded <details>); a reader that passes HTML through
    # shows any tag the summary failed to escape.
    page = Page()
    page.feed(MarkdownIt("commonmark", {"html": True}).enable("table").render(markdown))
    return page


def test_the_status_table_counts_every_control_once(report: AuditReport) -> None:
    page = read(render_summary(report, FailOn.MANDATORY, []))
    statuses = page.tables[0]
    assert statuses[0] == ["Status", "Controls"]
    counted = {label.split(" ", 1)[1]: int(n) for label, n in statuses[1:]}
    assert counted == {
        "Fail": 1,
        "Not evaluated": 1,
        "Accepted risk": 0,
        "Pass": 1,
        "Not applicable": len(report.controls) - 3,
    }
    assert sum(counted.values()) == len(report.controls)
    every_control = page.tables[-1]
    assert len(every_control) == len(report.controls) + 1
    assert "details" in page.tags


@pytest.mark.parametrize(
    ("fail_on", "blocking_rules"),
    [
        (FailOn.MANDATORY, ["crossguard/s3-bucket-cmk-encryption"]),
        (FailOn.ANY, ["crossguard/s3-bucket-cmk-encryption", "checkov/CKV_AWS_145"]),
    ],
)
def test_blocking_findings_are_the_ones_that_fail_the_audit(
    report: AuditReport, fail_on: FailOn, blocking_rules: list[str]
) -> None:
    page = read(render_summary(report, fail_on, []))
    blocking_count = len(blocking_rules)
    assert page.headings[0] == f"❌ Audit of payments/prod: {blocking_count} blocking finding(s)"
    blocking = page.tables[1]
    assert blocking[0] == ["Engine / rule", "Enforcement", "Resource", "Controls", "Finding"]
    assert sorted(row[0] for row in blocking[1:]) == sorted(blocking_rules)
    assert len(blocking) - 1 == len(report.failed(fail_on))
    cmk = next(row for row in blocking if row[0] == "crossguard/s3-bucket-cmk-encryption")
    assert cmk[1:] == [
        "mandatory",
        "receipts",
        "pci-dss@4.0.1:3.5.1",
        "Bucket 'receipts' is not encrypted with a CMK (sse algorithm AES256).",
    ]


def test_nothing_blocking_still_says_what_failed_and_what_was_not_evaluated(
    report: AuditReport,
) -> None:
    markdown = render_summary(report, FailOn.NONE, [])
    page = read(markdown)
    assert page.headings[0] == (
        "⚠️ Audit of payments/prod: nothing blocks, but 1 control(s) fail and 1 could not be "
        "evaluated"
    )
    assert "Nothing blocks." in markdown
    not_run = page.tables[1]
    assert [row[0] for row in not_run[1:]] == ["crossguard/stateful-resources-protected"]
    assert "can't be known during preview" in not_run[1][4]


def test_a_clean_audit_says_so(project_dir: Path) -> None:
    passing = [f for f in make_findings() if f.outcome in {Outcome.PASS, Outcome.NOT_APPLICABLE}]
    page = read(render_summary(make_report(project_dir, passing), FailOn.MANDATORY, []))
    assert page.headings[0].startswith("✅ Audit of payments/prod")


def test_text_from_the_stack_is_shown_literally_and_never_formats(project_dir: Path) -> None:
    hostile = crossguard(
        "s3-bucket-cmk-encryption", BUCKET, Outcome.FAIL, message=HOSTILE + "\nsecond line"
    )
    resource = ResourceRef(urn=BUCKET, type="aws:s3/bucket:Bucket", name=HOSTILE)
    report = make_report(project_dir, [dataclasses.replace(hostile, resource=resource)])
    page = read(render_summary(report, FailOn.MANDATORY, []))
    assert page.tags.isdisjoint({"script", "img", "a", "strong", "em", "code"})
    row = page.tables[1][1]
    assert len(row) == 5
    assert row[2] == HOSTILE
    assert row[4] == HOSTILE


def test_long_messages_and_long_lists_are_cut_with_a_pointer_to_the_report(
    project_dir: Path,
) -> None:
    many: list[Finding] = []
    for n in range(MAX_ROWS + 7):
        finding = crossguard(
            "s3-bucket-cmk-encryption", BUCKET, Outcome.FAIL, message="x" * (MAX_CELL * 2)
        )
        many.append(
            dataclasses.replace(
                finding, resource=ResourceRef(urn=f"{BUCKET}{n}", type="t", name=f"b{n}")
            )
        )
    markdown = render_summary(make_report(project_dir, many), FailOn.MANDATORY, [])
    blocking = read(markdown).tables[1]
    assert len(blocking) == MAX_ROWS + 1
    assert blocking[1][4] == "x" * (MAX_CELL - 1) + "…"
    assert "… and 7 more: see audit.html." in markdown


def test_the_summary_shows_no_secret_and_refuses_to_append_one(
    report: AuditReport, project_dir: Path, tmp_path: Path
) -> None:
    secrets = secrets_of(project_dir)
    assert {SECRET_PLAINTEXT, SECRET_LOOKING} <= secrets
    markdown = render_summary(report, FailOn.ANY, [])
    summary = tmp_path / "summary.md"
    append_summary(summary, markdown, secrets)
    assert summary.read_text() == markdown
    # Raw, behind Markdown escapes, behind HTML character references.
    for leaked in (
        f"| {SECRET_LOOKING} |",
        SECRET_LOOKING.replace("-", "\\-"),
        SECRET_LOOKING.replace("-", "&#45;"),
    ):
        with pytest.raises(SecretLeakError):
            append_summary(summary, leaked + "\n", secrets)
    assert summary.read_text() == markdown


def test_appending_keeps_what_earlier_steps_wrote(report: AuditReport, tmp_path: Path) -> None:
    summary = tmp_path / "step-summary.md"
    summary.write_text("## Tests\n\nall passed\n\n")
    markdown = render_summary(report, FailOn.MANDATORY, [Path("reports/audit.json")])
    append_summary(summary, markdown, frozenset())
    assert summary.read_text() == "## Tests\n\nall passed\n\n" + markdown
    assert markdown.rstrip().endswith("Full report: audit.json.")


def test_a_summary_file_that_cannot_take_it_is_refused_before_the_analysis(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for bad, reason in [
        (tmp_path, "not a regular file"),
        (fifo, "not a regular file"),
        (tmp_path / "missing" / "summary.md", f"no folder {tmp_path / 'missing'}"),
    ]:
        with pytest.raises(SummaryFileError, match="cannot append the summary there"):
            check_summary_file(bad)
        # The state file does not exist either: the summary is refused first, nothing runs.
        out = tmp_path / "reports"
        args = ["audit", "--summary", str(bad), "--state", "missing.json", "--out", str(out)]
        assert main(args) == 2
        error = capsys.readouterr().err
        assert error == f"error: {bad}: cannot append the summary there: {reason}\n"
        assert not out.exists()
    check_summary_file(tmp_path / "new.md")
