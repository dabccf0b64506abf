"""The house's layering, as `lint-imports` holds it (contracts in pyproject.toml): the program,
the functions and the pack import nothing of the tooling; the tooling's model sits under its
engines, the audit over them, the CLI on top; no import cycles, type-only ones included.

Each knot the layout once had is planted, one at a time, into a copy of the tree, to prove the
contracts catch it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("compliance", "infra", "lambda_packages", "policy_pack")
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
TYPE_ONLY = "\nfrom typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    {}\n"


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"PYTHONPATH": os.pathsep.join([str(root), str(root / "policy_pack")])}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_tree_keeps_every_contract() -> None:
    linted = lint_imports(ROOT)
    assert linted.returncode == 0, linted.stdout + linted.stderr
    assert "0 broken" in linted.stdout


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = tmp_path_factory.mktemp("house")
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package,
            copy / package,
            ignore=shutil.ignore_patterns(".venv", "__pycache__", "build"),
        )
    shutil.copy2(ROOT / "pyproject.toml", copy / "pyproject.toml")
    return copy


KNOTS = {
    "program imports the tooling's errors": (
        "infra/errors.py",
        "\nfrom compliance.model.errors import UserError  # noqa\n",
        "Tooling over the program",
    ),
    "packaging imports the tooling": (
        "lambda_packages/packaging.py",
        "\nimport compliance.model.errors  # noqa\n",
        "Tooling over the program",
    ),
    "the pack imports the tooling": (
        "policy_pack/payment_policies/props.py",
        "\nimport compliance.model.graph  # noqa\n",
        "The policy pack stands alone",
    ),
    "type-only cycle between the analyzer and the policy config": (
        "compliance/preview/policy_config.py",
        TYPE_ONLY.format("from compliance.preview.analyzer import PolicyPackProcess"),
        "No import cycles",
    ),
    "the model reaches up into checkov": (
        "compliance/model/aws_sdk.py",
        "\nfrom compliance.checkov.types import terraform_type  # noqa\n",
        "Tooling layers",
    ),
    "the audit model takes pack info from the gRPC client": (
        "compliance/audit/model.py",
        "\nfrom compliance.preview.analyzer import PolicyPackProcess  # noqa\n",
        "Only the audit's command runs engines",
    ),
    "an engine imports the CLI": (
        "compliance/preview/run.py",
        "\nfrom compliance.cli import COMMANDS  # noqa\n",
        "Tooling layers",
    ),
}


@pytest.mark.parametrize("knot", sorted(KNOTS))
def test_each_knot_breaks_its_contract(tree: Path, knot: str) -> None:
    relative, planted, contract = KNOTS[knot]
    path = tree / relative
    original = path.read_text()
    path.write_text(original + planted)
    try:
        linted = lint_imports(tree)
    finally:
        path.write_text(original)
    assert linted.returncode != 0
    broken = [line for line in linted.stdout.splitlines() if line.endswith("BROKEN")]
    assert any(line.startswith(contract) for line in broken), linted.stdout
