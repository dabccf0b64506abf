"""The interpreter a policy pack runs on, chosen as the Pulumi CLI chooses it.

A Python pack whose `PulumiPolicy.yaml` names `runtime.options.virtualenv` runs in that virtualenv,
inside the pack's folder, which the CLI creates and fills from the pack's `requirements.txt`; a pack
that names none runs on the interpreter the CLI finds. The tooling does the same, building the
virtualenv with uv (`compliance.model.environments`). `POLICY_PACK_PYTHON` names another
interpreter to run every pack with (the newest-versions session sets it).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from compliance.model.environments import (
    EnvironmentBuildError,
    distribution_versions,
    synced_virtualenv,
)

PACK_PYTHON_VARIABLE = "POLICY_PACK_PYTHON"
JUDGING_DISTRIBUTIONS = ("pulumi", "pulumi-aws", "pulumi-policy")
"""The distributions whose versions decide a pack's verdicts: SDK, provider schema, pack SDK."""
REQUIREMENTS = "requirements.txt"
WHAT = "the policy pack"


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
        raise EnvironmentBuildError(
            f"{pack_dir / 'PulumiPolicy.yaml'}: runtime.options.virtualenv: must be a folder "
            f"name, got {virtualenv!r}"
        )
    return str(synced_virtualenv(pack_dir / REQUIREMENTS, pack_dir / virtualenv, WHAT))


def judging_versions(python: str) -> tuple[tuple[str, str], ...]:
    """The versions of the judging distributions `python` holds, by name."""
    return distribution_versions(python, JUDGING_DISTRIBUTIONS, WHAT)
