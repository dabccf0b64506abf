"""Fixtures: the stack run once with the default config and inventory, shared by the module."""

import pytest

from tests.infra.stack_harness import StackRun, run_stack


@pytest.fixture(scope="session")
def stack() -> StackRun:
    """The program with `Pulumi.prod.yaml`-like config and `config/dev-config.json`."""
    return run_stack()
