"""Virtualenvs the tooling builds for the engines that run apart from it (the policy pack, checkov),
with uv: created when missing, synced to their pinned requirements whenever those change (the
requirements' digest is kept inside the virtualenv), bytecode compiled at install; and what an
interpreter holds, asked of it."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from compliance.model.errors import UserError

_STAMP = ".requirements.sha256"
_OUTPUT_TAIL_CHARS = 2000
_VERSIONS_SCRIPT = (
    "import importlib.metadata as m, json, sys\n"
    "found = {}\n"
    "for name in sys.argv[1:]:\n"
    "    try:\n"
    "        found[name] = m.version(name)\n"
    "    except m.PackageNotFoundError:\n"
    "        pass\n"
    "print(json.dumps(found))\n"
)


class EnvironmentBuildError(UserError):
    """An engine's environment cannot be created, synced or asked what it holds."""


def synced_virtualenv(requirements: Path, venv: Path, what: str) -> Path:
    """The virtualenv's interpreter, after creating it or syncing it to `requirements` (pinned,
    as `uv pip compile` writes them); `what` names whose environment it is in errors."""
    try:
        digest = hashlib.sha256(requirements.read_bytes()).hexdigest()
    except OSError as cause:
        raise EnvironmentBuildError(
            f"{requirements}: cannot read the requirements of {what}: {cause.strerror}"
        ) from None
    python = _interpreter(venv)
    stamp = venv / _STAMP
    if _stamped(stamp, digest) and python.exists():
        return python
    try:
        venv.parent.mkdir(parents=True, exist_ok=True)
    except OSError as cause:
        raise EnvironmentBuildError(
            f"{venv.parent}: cannot hold the environment of {what}: {cause.strerror}"
        ) from None
    with _locked(venv.with_name(f"{venv.name}.lock")):
        if not (_stamped(stamp, digest) and python.exists()):
            if not python.exists():
                _uv(what, "venv", "--quiet", "--python", sys.executable, str(venv))
            _uv(
                what,
                "pip",
                "sync",
                "--quiet",
                "--compile-bytecode",
                "--python",
                str(python),
                str(requirements),
            )
            stamp.write_text(digest)
    return python


def _interpreter(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _stamped(stamp: Path, digest: str) -> bool:
    try:
        return stamp.read_text().strip() == digest
    except OSError:
        return False


@contextlib.contextmanager
def _locked(lock_file: Path) -> Iterator[None]:
    """One process at a time builds a virtualenv (two audits may start at once)."""
    with lock_file.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _uv(what: str, *arguments: str) -> None:
    from uv import find_uv_bin  # noqa: PLC0415 - only when an environment must be built

    command = [find_uv_bin(), *arguments]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        output = (completed.stderr or completed.stdout).strip()[-_OUTPUT_TAIL_CHARS:]
        raise EnvironmentBuildError(
            f"cannot build the environment of {what} (uv {' '.join(arguments[:2])} exited "
            f"{completed.returncode}): {output}"
        )


def distribution_versions(
    python: str, names: Sequence[str], what: str
) -> tuple[tuple[str, str], ...]:
    """The versions of the distributions `names` that `python` holds (those it has), by name."""
    try:
        completed = subprocess.run(
            [python, "-c", _VERSIONS_SCRIPT, *names],
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError as cause:
        raise EnvironmentBuildError(
            f"cannot run {what}'s interpreter {python}: {cause.strerror}"
        ) from None
    if completed.returncode != 0:
        raise EnvironmentBuildError(
            f"{what}'s interpreter {python} cannot be asked what it holds: "
            f"{completed.stderr.strip()[-_OUTPUT_TAIL_CHARS:]}"
        )
    found: dict[str, str] = json.loads(completed.stdout)
    return tuple(sorted(found.items()))
