from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path

import pytest

from compliance.audit import writer
from compliance.audit.model import AuditReport
from compliance.audit.provenance import utc_timestamp
from tests.compliance.audit.audit_fixtures import NOW, make_findings, make_report, secrets_of


def normalised(text: str, moment: datetime) -> str:
    stamp = utc_timestamp(moment)
    return text.replace(stamp, "<time>").replace(stamp.removesuffix("Z"), "<time>")


def test_same_inputs_give_byte_identical_reports_except_the_timestamp(
    project_dir: Path, tmp_path: Path
) -> None:
    later = datetime(2027, 1, 2, 3, 4, 5, tzinfo=UTC)
    shuffled = make_findings()
    random.Random(3).shuffle(shuffled)
    first = writer.write_reports(make_report(project_dir), tmp_path / "a", secrets_of(project_dir))
    second = writer.write_reports(
        make_report(project_dir, shuffled, now=later), tmp_path / "b", secrets_of(project_dir)
    )
    for one, other in zip(first, second, strict=True):
        assert one.read_text() != other.read_text(), "the timestamps must differ"
        assert normalised(one.read_text(), NOW) == normalised(other.read_text(), later), one.name


def test_a_failing_writer_leaves_previous_reports_untouched(
    project_dir: Path, report: AuditReport, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer.write_reports(report, tmp_path, secrets_of(project_dir))
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}

    def broken(_report: object) -> str:
        raise RuntimeError("template error")

    monkeypatch.setitem(writer.RENDERERS, "audit.html", broken)
    with pytest.raises(RuntimeError, match="template error"):
        writer.write_reports(make_report(project_dir, []), tmp_path, secrets_of(project_dir))
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_an_out_path_naming_a_file_is_a_user_error_naming_it(
    project_dir: Path, report: AuditReport, tmp_path: Path
) -> None:
    out = tmp_path / "reports"
    out.write_text("not a folder")
    with pytest.raises(writer.ReportWriteError, match=rf"^{out}: cannot write the audit report"):
        writer.write_reports(report, out, secrets_of(project_dir))
    assert out.read_text() == "not a folder"


def test_a_folder_in_the_way_of_one_file_replaces_none_and_leaves_no_partial(
    project_dir: Path, report: AuditReport, tmp_path: Path
) -> None:
    writer.write_reports(make_report(project_dir, []), tmp_path, secrets_of(project_dir))
    (tmp_path / "audit.html").unlink()
    (tmp_path / "audit.html").mkdir()
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    with pytest.raises(
        writer.ReportWriteError, match=r"audit\.html: cannot write the audit report there"
    ):
        writer.write_reports(report, tmp_path, secrets_of(project_dir))
    after = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    assert after == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*before, "audit.html"])
