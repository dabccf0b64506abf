"""The pack reads its properties through pulumi-policy's proxies, whose raw target it takes under
`__target`: a policy SDK that stops giving it makes the pack refuse to start, over its protocol,
instead of misreading every resource."""

from __future__ import annotations

from pathlib import Path

import pytest

from compliance.preview.analyzer import PolicyPackError, PolicyPackProcess
from tests.policy_pack.pack_harness import PACK_DIR, PROJECT, STACK

# Loaded by the pack's interpreter at start-up, before the pack imports its policies.
PROXIES_WITHOUT_TARGET = """
from pulumi_policy import proxy

_get = proxy._DictProxy.__getitem__


def _no_target(self, key):
    if key == "__target":
        raise KeyError(key)
    return _get(self, key)


proxy._DictProxy.__getitem__ = _no_target
"""


def test_a_pack_whose_sdk_proxies_hide_their_target_refuses_to_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "sitecustomize.py").write_text(PROXIES_WITHOUT_TARGET)
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    with (
        pytest.raises(PolicyPackError, match=r"exited \(code \d+\) before printing its port") as e,
        PolicyPackProcess(PACK_DIR, project=PROJECT, stack=STACK),
    ):
        pass
    assert "pulumi-policy" in str(e.value)
    assert "proxies no longer give their target under '__target'" in str(e.value)


def test_the_pack_starts_on_the_installed_sdk() -> None:
    with PolicyPackProcess(PACK_DIR, project=PROJECT, stack=STACK) as pack:
        assert pack.info().policies
