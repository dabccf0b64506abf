"""The HTML report in a real browser: Debian's headless chromium renders it, dumps its DOM,
prints it and takes a screenshot of the summary."""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser
from pathlib import Path

import pytest

from compliance.audit.html import STATUS_COLOURS, render_html
from compliance.audit.model import AuditReport
from compliance.audit.writer import write_reports
from tests.compliance.audit.audit_fixtures import (
    BUCKET,
    make_findings,
    make_report,
    ref,
    secrets_of,
)

# Debian's package, or what a hosted CI runner ships (the same engine, the same headless flags).
CHROMIUM = next(
    filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None
)
WIDTH, HEIGHT = 1200, 1000
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="chromium is not on PATH (Debian: apt-get install chromium); "
    "the HTML report is checked in a real browser",
)
VOID = {"meta", "br", "hr", "img", "input", "link", "col", "source", "wbr"}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list[Node] = field(default_factory=list)
    text: list[str] = field(default_factory=list)

    def all_text(self) -> str:
        return " ".join([*self.text, *(c.all_text() for c in self.children)]).strip()

    def iter(self, tag: str | None = None) -> Iterator[Node]:
        if tag is None or self.tag == tag:
            yield self
        for child in self.children:
            yield from child.iter(tag)

    def by_id(self, identifier: str) -> Node:
        return next(n for n in self.iter() if n.attrs.get("id") == identifier)


class TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.root = Node("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].text.append(data.strip())


def chromium(profile: Path, *args: str) -> str:
    assert CHROMIUM is not None
    done = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--disable-sync",
            f"--user-data-dir={profile}",
            *args,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and RGB(A) rows of an 8-bit truecolour PNG (what chromium writes)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, chunks, header = 8, [], b""
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        body = data[position + 8 : position + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            chunks.append(body)
        position += 12 + length
    width, height, depth, colour_type = struct.unpack(">IIBB", header[:10])
    assert depth == 8
    assert colour_type in (2, 6)
    step = 3 if colour_type == 2 else 4
    raw = zlib.decompress(b"".join(chunks))
    stride = width * step
    rows: list[bytes] = []
    previous = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - step] if i >= step else 0
            up = previous[i]
            corner = previous[i - step] if i >= step else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                estimate = left + up - corner
                nearest = min(
                    (abs(estimate - left), 0, left),
                    (abs(estimate - up), 1, up),
                    (abs(estimate - corner), 2, corner),
                )[2]
                line[i] = (line[i] + nearest) & 0xFF
        rows.append(
            bytes(line) if step == 3 else bytes(b for i, b in enumerate(line) if i % 4 != 3)
        )
        previous = line
    return width, height, rows


@pytest.fixture(scope="module")
def rendered(
    project_dir: Path, report: AuditReport, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    out = tmp_path_factory.mktemp("reports")
    write_reports(report, out, secrets_of(project_dir))
    return out / "audit.html"


@pytest.fixture(scope="module")
def dom(rendered: Path, tmp_path_factory: pytest.TempPathFactory) -> Node:
    profile = tmp_path_factory.mktemp("chromium-dom")
    builder = TreeBuilder()
    builder.feed(chromium(profile, "--dump-dom", rendered.as_uri()))
    return builder.root


@pytest.fixture(scope="module")
def screenshot(rendered: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    profile = tmp_path_factory.mktemp("chromium-shot")
    target: Path = profile.parent / "summary.png"
    chromium(
        profile,
        "--hide-scrollbars",
        f"--window-size={WIDTH},{HEIGHT}",
        f"--screenshot={target}",
        rendered.as_uri(),
    )
    return target


@needs_chromium
def test_page_opens_with_the_summary_and_its_verdict(dom: Node, report: AuditReport) -> None:
    sections = [s.attrs.get("id") for s in dom.iter("section")]
    assert sections[0] == "summary"
    failing = report.status_counts()["fail"]
    assert f"{failing} of {len(report.controls)} controls fail." in dom.by_id("verdict").all_text()


@needs_chromium
def test_summary_counts_controls_by_status_and_findings_by_severity(
    dom: Node, report: AuditReport
) -> None:
    table = dom.by_id("status-by-control")
    shown = {
        row.attrs["data-status"]: int(row.children[-1].all_text())
        for row in table.iter("tr")
        if "data-status" in row.attrs
    }
    assert shown == report.status_counts()
    severities = dom.by_id("status-by-severity")
    high = next(r for r in severities.iter("tr") if r.attrs.get("data-severity") == "high")
    assert [int(cell.all_text()) for cell in high.children[1:]] == [
        report.severity_counts()["high"][outcome]
        for outcome in ("fail", "not-run", "accepted-risk", "pass")
    ]
    rows = [r for r in dom.by_id("controls-table").iter("tr") if "data-control" in r.attrs]
    assert len(rows) == len(report.controls)


@needs_chromium
def test_summary_chart_is_inline_svg_with_a_bar_per_status(dom: Node, report: AuditReport) -> None:
    chart = dom.by_id("chart")
    assert chart.tag == "svg"
    drawn = {
        rect.attrs["data-status"] for rect in chart.iter("rect") if "data-status" in rect.attrs
    }
    present = {status for status, count in report.status_counts().items() if count}
    assert drawn >= present


@needs_chromium
def test_controls_and_findings_follow_the_summary_with_how_to_fix(
    dom: Node, report: AuditReport
) -> None:
    articles = [a for a in dom.by_id("controls").iter("article")]
    assert len(articles) == len(report.controls)
    fixes = [a for a in dom.by_id("to-fix").iter("article")]
    assert fixes[0].attrs["data-outcome"] == "fail"
    assert "How to fix:" in fixes[0].all_text()
    assert "infra/storage.py:" in fixes[0].all_text()


def test_page_is_self_contained(report: AuditReport) -> None:
    page = render_html(report)
    assert not re.search(r"<(link|script|img|iframe)\b|@import|url\(|\ssrc=", page)
    assert set(re.findall(r'href="([^"#][^"]*)"', page)) == set()
    assert re.findall(r"https?://[^\s\"']+", page) == ["http://www.w3.org/2000/svg"]
    assert "@media print" in page


def test_page_escapes_text_from_findings(project_dir: Path) -> None:
    findings = make_findings()
    findings[0] = replace(findings[0], message="<script>x</script>")
    page = render_html(make_report(project_dir, findings))
    assert "<script>x</script>" not in page
    assert "&lt;script&gt;x&lt;/script&gt;" in page


@needs_chromium
def test_screenshot_shows_the_summary(screenshot: Path) -> None:
    width, height, rows = png_pixels(screenshot.read_bytes())
    assert (width, height) == (WIDTH, HEIGHT)
    colours = {row[i : i + 3] for row in rows[::7] for i in range(0, len(row), 21)}
    assert len(colours) > 20, "the page rendered blank"
    fail_red = bytes.fromhex(STATUS_COLOURS["fail"].removeprefix("#"))
    top = rows[: HEIGHT // 2]
    red_pixels = sum(
        1
        for row in top
        for i in range(0, len(row), 3)
        if all(abs(row[i + k] - fail_red[k]) <= 8 for k in range(3))
    )
    assert red_pixels > 200, "the summary's failing verdict and chart bar are not visible"


@needs_chromium
def test_page_prints_to_pdf(rendered: Path, tmp_path: Path) -> None:
    target = tmp_path / "audit.pdf"
    chromium(
        tmp_path / "profile",
        "--no-pdf-header-footer",
        f"--print-to-pdf={target}",
        rendered.as_uri(),
    )
    pdf = target.read_bytes()
    assert pdf.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) >= 2


def test_links_in_remediation_become_escaped_links(project_dir: Path) -> None:
    findings = make_findings()
    findings[0] = replace(
        findings[0], remediation='See https://docs.example/kms?a=1&b="2" for the key policy.'
    )
    page = render_html(make_report(project_dir, findings))
    assert '<a href="https://docs.example/kms?a=1&amp;b=' in page
    assert 'b="2"' not in page


def parsed(page: str) -> Node:
    builder = TreeBuilder()
    builder.feed(page)
    return builder.root


def test_controls_are_named_as_a_reader_cites_them_and_uncovered_ones_say_so(
    report: AuditReport,
) -> None:
    page = parsed(render_html(report))
    row = next(r for r in page.by_id("controls-table").iter("tr") if r.attrs.get("data-control"))
    assert row.attrs["data-control"] == "pci-dss@4.0.1:1.4.4"
    assert row.children[0].all_text() == "PCI DSS 4.0.1 · 1.4.4"
    uncovered = page.by_id("uncovered").all_text()
    assert "PCI DSS 4.0.1 · 10.2.1" in uncovered
    assert "PCI DSS 4.0.1 · 3.5.1" not in uncovered


def test_evidence_says_what_each_check_requires(report: AuditReport) -> None:
    page = parsed(render_html(report))
    rotation = next(
        a for a in page.iter("article") if a.attrs.get("data-control") == "pci-dss@4.0.1:3.7.4"
    )
    evidence = rotation.all_text()
    assert "Customer managed keys rotate yearly." in evidence
    assert "did not apply 1 time(s)" in evidence


def test_findings_to_fix_leave_accepted_risks_to_their_own_section(report: AuditReport) -> None:
    page = parsed(render_html(report))
    fixes = list(page.by_id("to-fix").iter("article"))
    assert [a.attrs["data-outcome"] for a in fixes] == ["fail", "fail", "not-run"]
    assert "Why not evaluated" in fixes[-1].all_text()


def test_one_accepted_risk_covering_several_resources_is_one_row(project_dir: Path) -> None:
    findings = make_findings()
    accepted = next(f for f in findings if f.accepted_risk is not None)
    findings.append(replace(accepted, resource=ref(BUCKET)))
    page = parsed(render_html(make_report(project_dir, findings)))
    rows = [r for r in page.by_id("accepted-risks").iter("tr") if r.children[0].tag == "td"]
    assert len(rows) == 1
    assert rows[0].children[1].all_text().split() == ["transactions", "receipts"]
    assert "payments-platform" in rows[0].children[3].all_text()


def test_provenance_names_the_versions_the_packs_environment_judged_with(
    report: AuditReport,
) -> None:
    page = render_html(report)
    assert (
        "payments-policies 1.2.0 (its environment: pulumi 3.272.0, pulumi-aws 7.51.1, "
        "pulumi-policy 1.21.0)"
    ) in page


@needs_chromium
def test_coverage_shows_each_concern_and_the_requirements_no_check_serves(
    dom: Node, report: AuditReport
) -> None:
    rows = {
        row.attrs["data-concern"]: row
        for row in dom.by_id("coverage-table").iter("tr")
        if "data-concern" in row.attrs
    }
    assert set(rows) == {r.concern.id for r in report.coverage.concerns}
    assert rows["s3-encryption-cmk"].attrs["data-status"] == "fail"
    assert rows["dynamodb-encrypted-cmk"].attrs["data-status"] == "accepted-risk"
    organizations = rows["organizations"]
    assert organizations.attrs["data-status"] == "not-adopted"
    assert "An account-level fact outside any stack" in organizations.all_text()
    uncovered = dom.by_id("coverage-uncovered").all_text()
    assert report.coverage.uncovered
    for entry in report.coverage.uncovered:
        assert f"PCI DSS {entry.requirement}" in uncovered
    served = len(report.coverage.served)
    summary = dom.by_id("coverage-summary").all_text()
    assert f"{served} of the {len(report.coverage.requirements)} PCI DSS requirements" in summary
