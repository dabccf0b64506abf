"""The checkov cross-check: the resource graph as a Terraform plan, scanned by checkov, its
verdicts filed as findings under the same controls as the policy pack's.

`run_checkov` and `CheckovRun` load on first use: importing checkov takes seconds, and the command
line builds its parser (this package's `command` module included) for every command.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from compliance.checkov.run import CheckovRun, run_checkov

__all__ = ["CheckovRun", "run_checkov"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(importlib.import_module("compliance.checkov.run"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
