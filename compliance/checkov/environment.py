"""Which checkov scans: its own environment, never the project's (its pins would hold the Pulumi
SDKs back).

By default the tooling builds a virtualenv for it with uv from the pinned
`compliance/checkov/requirements.txt` (compiled from `requirements.in`), in the user's cache,
named for the pins' digest so two pin sets never share one. `--checkov PATH` names any other
checkov: a `checkov` executable (its interpreter is the one its first line names) or a Python
interpreter that has checkov. When the environment cannot be built (no registry), a `checkov` on
`PATH` is used instead.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

from compliance.model.environments import EnvironmentBuildError, synced_virtualenv
from compliance.model.errors import UserError

REQUIREMENTS = Path(__file__).with_name("requirements.txt")
WHAT = "checkov"


class CheckovNotFoundError(UserError):
    """No checkov to run: none could be built, none was named, none is on PATH."""


def checkov_python(given: Path | None = None) -> str:
    """The interpreter of the checkov to scan with."""
    if given is not None:
        return interpreter_of(given)
    try:
        return str(synced_virtualenv(REQUIREMENTS, managed_virtualenv(), WHAT))
    except EnvironmentBuildError as error:
        on_path = shutil.which("checkov")
        if on_path is not None:
            return interpreter_of(Path(on_path))
        raise CheckovNotFoundError(
            f"{error}; looked for checkov there and on PATH: pass --checkov PATH (a checkov "
            "executable, or a Python that has checkov)"
        ) from None


def managed_virtualenv() -> Path:
    digest = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()[:16]
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "payment-stack" / f"checkov-{digest}"


def interpreter_of(path: Path) -> str:
    """A `checkov` console script names its interpreter on its first line; a Python is itself."""
    try:
        with path.open("rb") as handle:
            first = handle.readline(4096)
    except OSError as cause:
        raise CheckovNotFoundError(f"{path}: cannot read it: {cause.strerror}") from None
    if first.startswith(b"#!"):
        interpreter = first[2:].decode(errors="replace").split()
        if interpreter and Path(interpreter[0]).name not in ("sh", "bash", "env"):
            return interpreter[0]
        raise CheckovNotFoundError(
            f"{path}: a script whose interpreter cannot be told ({first[:80]!r}): pass --checkov "
            "the Python that has checkov"
        )
    return str(path)
