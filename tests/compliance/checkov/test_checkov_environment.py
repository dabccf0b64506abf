"""checkov runs in an environment of its own: the pinned one the tooling builds, or one a user
names; a checkov that is missing or broken is one line naming what was looked for."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from compliance.checkov.environment import (
    REQUIREMENTS,
    CheckovNotFoundError,
    checkov_python,
    interpreter_of,
    managed_virtualenv,
)
from compliance.checkov.scan import CheckovError, CheckovWorker, start
from compliance.cli import main

PINNED = dict(re.findall(r"^([a-z0-9-]+)==(\S+)", REQUIREMENTS.read_text(), re.MULTILINE))


def test_the_scan_runs_on_checkovs_own_pinned_environment() -> None:
    worker = start()
    assert Path(worker.python).parent.parent == managed_virtualenv()
    assert worker.version == PINNED["checkov"]


def test_the_project_environment_has_no_checkov() -> None:
    """So its pins (packaging<24) cannot hold the Pulumi SDKs back."""
    completed = subprocess.run(
        [sys.executable, "-c", "import checkov"], capture_output=True, text=True, check=False
    )
    assert completed.returncode != 0
    assert "No module named 'checkov'" in completed.stderr


def test_a_checkov_executable_names_its_interpreter_on_its_first_line(tmp_path: Path) -> None:
    script = tmp_path / "checkov"
    script.write_text("#!/opt/checkov/bin/python3.12\nimport checkov\n")
    assert interpreter_of(script) == "/opt/checkov/bin/python3.12"
    assert interpreter_of(Path(sys.executable)) == sys.executable


def test_the_managed_checkov_executable_leads_to_its_interpreter() -> None:
    executable = Path(checkov_python()).with_name("checkov")
    assert interpreter_of(executable) == str(Path(checkov_python()))


def test_a_script_whose_interpreter_cannot_be_told_is_refused(tmp_path: Path) -> None:
    script = tmp_path / "checkov"
    script.write_text("#!/usr/bin/env python3\n")
    with pytest.raises(CheckovNotFoundError, match="pass --checkov the Python that has checkov"):
        interpreter_of(script)


def test_a_python_without_checkov_is_one_clear_error() -> None:
    worker = CheckovWorker(sys.executable)
    try:
        with pytest.raises(CheckovError) as raised:
            worker.known_check_ids()
    finally:
        worker.close()
    message = str(raised.value)
    assert message.startswith(f"checkov ({sys.executable}) exited (code 1) during load")
    assert "(ModuleNotFoundError: No module named 'checkov')" in message
    assert "\n" not in message


def test_the_command_names_the_checkov_it_could_not_use(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "no-checkov"
    assert main(["checkov", "--checkov", str(missing), "--build-dir", str(tmp_path)]) == 2
    error = capsys.readouterr().err
    assert error == f"error: {missing}: cannot read it: No such file or directory\n"
