"""Write the four report files together: all rendered and checked first, then renamed into place."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path

from compliance.audit.html import render_html
from compliance.audit.json_report import render_json
from compliance.audit.junit import render_junit
from compliance.audit.model import AuditReport
from compliance.audit.redaction import assert_clean
from compliance.audit.sarif import render_sarif
from compliance.model.errors import UserError

RENDERERS: dict[str, Callable[[AuditReport], str]] = {
    "audit.json": render_json,
    "audit.sarif": render_sarif,
    "junit.xml": render_junit,
    "audit.html": render_html,
}


class ReportWriteError(UserError):
    """The report folder cannot take the files (`--out` names a file, or a place without room or
    permission)."""


def write_reports(report: AuditReport, out_dir: Path, secrets: frozenset[str]) -> list[Path]:
    """Render every file, refuse any that shows a secret, then replace the files atomically.

    Nothing is written unless every file rendered and every one was written beside its place;
    each file is then replaced by a rename, so a reader never sees one half-written.
    """
    rendered = {name: render(report) for name, render in RENDERERS.items()}
    for name, text in rendered.items():
        assert_clean(name, text, secrets)
    partials = {name: out_dir / f".{name}.partial" for name in rendered}
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        for name, text in rendered.items():
            partials[name].write_text(text, encoding="utf-8")
        # A rename fails on a folder in the way: find it before any file is replaced.
        blocked = [out_dir / name for name in rendered if (out_dir / name).is_dir()]
        if blocked:
            raise ReportWriteError(
                f"{blocked[0]}: cannot write the audit report there: it is a folder"
            )
        for name, partial in partials.items():
            partial.replace(out_dir / name)
    except OSError as error:
        where = error.filename2 or error.filename or out_dir
        raise ReportWriteError(
            f"{where}: cannot write the audit report there: {error.strerror}"
        ) from error
    finally:
        for partial in partials.values():
            with contextlib.suppress(OSError):
                partial.unlink(missing_ok=True)
    return [out_dir / name for name in rendered]
