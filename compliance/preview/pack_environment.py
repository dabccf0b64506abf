"""The environment a policy pack runs in, built as the Pulumi CLI builds it.

A Python pack whose `PulumiPolicy.yaml` names `runtime.options.virtualenv` runs in that virtualenv,
inside the pack's folder, which the CLI creates and fills from the pack's `requirements.txt`; a pack
that names none runs on the interpreter the CLI finds. The tooling does the same with uv: the
virtualenv is created when missing and synced to `requirements.txt` whenever that file changes (its
digest is kept inside the virtualenv), with bytecode compiled at install. `POLICY_PACK_PYTHON`
names another interpreter to run every pack with (the newest-versions session sets it).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from compliance.model.errors import UserError

PACK_PYTHON_VARIABLE = "POLICY_PACK_PYTHON"
JUDGING_DISTRIBUTIONS = ("pulumi", "pulumi-aws", "pulumi-policy")
"""The distributions whose versions decide a pack's verdicts: SDK, provider schema, pack SDK."""
REQUIREMENTS = "requirements.txt"
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


class PackEnvironmentError(UserError):
    """The pack's environment cannot be created, synced or asked what it holds."""


def pack_python(pack_dir: Path, runtime: Mapping[str, Any]) -> str:
    """The interpreter for the pack in `pack_dir`, whose manifest's runtime is `runtime`."""
    given = os.environ.get(PACK_PYTHON_VARIABLE)
    if given:
        return given
    options = runtime.get("options")
    virtualenv = options.get("virtualenv") if isinstance(options, dict) else None
    if virtualenv is None:
        return sys.executable
    if not isinstance(virtualenv, str) or not virtualenv:
        raise PackEnvironmentError(
            f"{pack_dir / 'PulumiPolicy.yaml'}: runtime.options.virtualenv: must be a folder "
            f"name, got {virtualenv!r}"
        )
    return str(synced_virtualenv(pack_dir, pack_dir / virtualenv))


def synced_virtualenv(pack_dir: Path, venv: Path) -> Path:
    """The virtualenv's interpreter, after creating it or syncing it to the requirements."""
    requirements = pack_dir / REQUIREMENTS
    try:
        digest = hashlib.sha256(requirements.read_bytes()).hexdigest()
    except OSError as cause:
        raise PackEnvironmentError(
            f"{requirements}: cannot read the pack's requirements: {cause.strerror}"
        ) from None
    python = _interpreter(venv)
    stamp = venv / _STAMP
    if _stamped(stamp, digest) and python.exists():
        return python
    with _locked(venv.with_name(f"{venv.name}.lock")):
        if not (_stamped(stamp, digest) and python.exists()):
            if not python.exists():
                _uv("venv", "--quiet", "--python", sys.executable, str(venv))
            _uv(
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


def _uv(*arguments: str) -> None:
    from uv import find_uv_bin  # noqa: PLC0415 - only when an environment must be built

    command = [find_uv_bin(), *arguments]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        output = (completed.stderr or completed.stdout).strip()[-_OUTPUT_TAIL_CHARS:]
        raise PackEnvironmentError(
            f"cannot build the policy pack's environment (uv {' '.join(arguments[:2])} exited "
            f"{completed.returncode}): {output}"
        )


def judging_versions(python: str) -> tuple[tuple[str, str], ...]:
    """The versions of the judging distributions `python` holds, by name."""
    try:
        completed = subprocess.run(
            [python, "-c", _VERSIONS_SCRIPT, *JUDGING_DISTRIBUTIONS],
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError as cause:
        raise PackEnvironmentError(
            f"cannot run the policy pack's interpreter {python}: {cause.strerror}"
        ) from None
    if completed.returncode != 0:
        raise PackEnvironmentError(
            f"the policy pack's interpreter {python} cannot be asked what it holds: "
            f"{completed.stderr.strip()[-_OUTPUT_TAIL_CHARS:]}"
        )
    found: dict[str, str] = json.loads(completed.stdout)
    return tuple(sorted(found.items()))
