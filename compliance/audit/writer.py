"""Write the four report files together: all rendered and checked first, then renamed into place."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from compliance.audit.html import render_html
from compliance.audit.json_report import render_json
from compliance.audit.junit import render_junit
from compliance.audit.model import AuditReport
from compliance.audit.redaction import assert_clean
from compliance.audit.sarif import render_sarif

RENDERERS: dict[str, Callable[[AuditReport], str]] = {
    "audit.json": render_json,
    "audit.sarif": render_sarif,
    "junit.xml": render_junit,
    "audit.html": render_html,
}


def write_reports(report: AuditReport, out_dir: Path, secrets: frozenset[str]) -> list[Path]:
    """Render every file, refuse any that shows a secret, then replace the files atomically.

    Nothing is written unless every file rendered; each file is replaced by a rename, so a
    reader never sees one half-written.
    """
    rendered = {name: render(report) for name, render in RENDERERS.items()}
    for name, text in rendered.items():
        assert_clean(name, text, secrets)
    out_dir.mkdir(parents=True, exist_ok=True)
    partials = {name: out_dir / f".{name}.partial" for name in rendered}
    try:
        for name, text in rendered.items():
            partials[name].write_text(text, encoding="utf-8")
        for name, partial in partials.items():
            partial.replace(out_dir / name)
    finally:
        for partial in partials.values():
            partial.unlink(missing_ok=True)
    return [out_dir / name for name in rendered]
