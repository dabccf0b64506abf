"""The policy pack process, started once per test module; `default_config` resets its config."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from compliance.preview.analyzer import PolicyPackProcess
from tests.policy_pack.pack_harness import configure, running_pack


@pytest.fixture(scope="module")
def pack() -> Iterator[PolicyPackProcess]:
    with running_pack() as process:
        yield process


@pytest.fixture
def default_config(pack: PolicyPackProcess) -> None:
    """The pack's own defaults, before each test that may configure it otherwise."""
    configure(pack)
