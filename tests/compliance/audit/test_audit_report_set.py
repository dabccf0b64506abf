"""The four reports are replaced as one set: a killed audit leaves the old set or the new one,
whole; two audits cannot interleave; a planted link is never followed; `--out` is checked before
the analysis starts."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest

from compliance.audit import writer
from compliance.audit.model import AuditReport
from compliance.cli import main
from tests.compliance.audit.audit_fixtures import NOW, make_report, secrets_of
from tests.compliance.audit.test_audit_command import PROJECT_ROOT, exported_stack

NAMES = sorted(writer.RENDERERS)


def stamps(out: Path) -> set[str]:
    """The generation time every file of the set carries (one value for a whole set)."""
    found = set()
    document = json.loads((out / "audit.json").read_text())
    found.add(document["provenance"]["generatedAt"])
    sarif = json.loads((out / "audit.sarif").read_text())
    found.update(run["invocations"][0]["endTimeUtc"] for run in sarif["runs"])
    found.add((out / "junit.xml").read_text().split('timestamp="')[1].split('"')[0] + "Z")
    html = (out / "audit.html").read_text()
    found.add(html.split('<time datetime="')[1].split('"')[0])
    return found


def test_the_set_is_replaced_whole_and_nothing_is_left_beside_it(
    project_dir: Path, report: AuditReport, tmp_path: Path
) -> None:
    out = tmp_path / "reports"
    writer.write_reports(report, out, secrets_of(project_dir))
    first = {name: (out / name).read_text() for name in NAMES}
    later = make_report(project_dir, None, now=NOW + timedelta(days=1))
    writer.write_reports(later, out, secrets_of(project_dir))
    assert sorted(p.name for p in out.iterdir()) == NAMES
    assert all((out / name).read_text() != first[name] for name in NAMES)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".reports.lock", "reports"]


def test_a_planted_link_in_the_folder_is_never_followed(
    project_dir: Path, report: AuditReport, tmp_path: Path
) -> None:
    out = tmp_path / "reports"
    writer.write_reports(report, out, secrets_of(project_dir))
    target = tmp_path / "precious.txt"
    target.write_text("keep me")
    (out / "audit.json").unlink()
    (out / "audit.json").symlink_to(target)
    with pytest.raises(writer.ReportWriteError, match="not report files"):
        writer.write_reports(report, out, secrets_of(project_dir))
    assert target.read_text() == "keep me"


def test_a_folder_holding_other_files_is_refused_not_emptied(
    project_dir: Path, report: AuditReport, tmp_path: Path
) -> None:
    out = tmp_path / "reports"
    out.mkdir()
    (out / "notes.md").write_text("mine")
    with pytest.raises(writer.ReportWriteError, match=r"notes\.md: cannot write the audit report"):
        writer.write_reports(report, out, secrets_of(project_dir))
    assert (out / "notes.md").read_text() == "mine"


def test_leftovers_of_a_killed_run_are_removed_by_the_next(
    project_dir: Path, report: AuditReport, tmp_path: Path
) -> None:
    out = tmp_path / "reports"
    (tmp_path / ".reports.new-abc123").mkdir()
    (tmp_path / ".reports.new-abc123" / "audit.json").write_text("{half")
    (tmp_path / ".reports.old-def456").mkdir()
    writer.write_reports(report, out, secrets_of(project_dir))
    assert sorted(p.name for p in tmp_path.iterdir()) == [".reports.lock", "reports"]


def test_a_second_audit_into_the_same_folder_stops_before_its_analysis(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "reports"
    with (tmp_path / ".reports.lock").open("wb") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        started = time.monotonic()
        code = main(["audit", "--state", str(tmp_path / "missing.json"), "--out", str(out)])
        assert time.monotonic() - started < 10
    assert code == 2
    assert capsys.readouterr().err == (
        f"error: {out}: another audit is writing its reports there: run again once it has "
        "finished, or give another --out\n"
    )
    assert not out.exists()


def test_an_out_that_cannot_take_the_reports_stops_before_the_analysis(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "reports"
    out.write_text("a file")
    # The state file does not exist either: the folder is checked first.
    code = main(["audit", "--state", str(tmp_path / "missing.json"), "--out", str(out)])
    assert code == 2
    assert capsys.readouterr().err == (
        f"error: {out}: cannot write the audit report there: not a folder\n"
    )


@pytest.mark.parametrize("delay", [0.5, 2.0, 3.5, 5.0, 6.5])
def test_an_audit_killed_at_any_moment_leaves_one_whole_set(delay: float, tmp_path: Path) -> None:
    state = exported_stack(tmp_path, rotation=True)
    (tmp_path / "accepted-risks.yaml").write_text("accepted_risks: []\n")
    out = tmp_path / "reports"
    command = [
        sys.executable,
        "-m",
        "compliance",
        "audit",
        "--state",
        str(state),
        "--project-dir",
        str(PROJECT_ROOT),
        "--accepted-risks",
        str(tmp_path / "accepted-risks.yaml"),
        "--build-dir",
        str(tmp_path / "build"),
        "--out",
        str(out),
    ]
    assert subprocess.run(command, capture_output=True, check=False).returncode == 0
    old = stamps(out)
    assert len(old) == 1
    time.sleep(1.1)  # the next set's stamp differs from the old one
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(delay)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert sorted(p.name for p in out.iterdir()) == NAMES
    now = stamps(out)
    assert len(now) == 1, now
    # Finished before the kill, or not: the old set or the new, never a mix.
    assert now == old or now.isdisjoint(old)
    # The next run cleans what the killed one left, and writes its set.
    assert subprocess.run(command, capture_output=True, check=False).returncode == 0
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".reports")) == [
        ".reports.lock"
    ]
