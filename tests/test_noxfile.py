"""The nox sessions name what the tooling reads: the variable that runs the pack on another
interpreter is the one `compliance.preview.pack_environment` reads."""

from __future__ import annotations

import ast
from pathlib import Path

from compliance.preview.pack_environment import PACK_PYTHON_VARIABLE

NOXFILE = Path(__file__).resolve().parents[1] / "noxfile.py"


def test_the_newest_versions_session_sets_the_variable_the_tooling_reads() -> None:
    tree = ast.parse(NOXFILE.read_text())
    constants = {
        target.id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    assert constants["PACK_PYTHON"] == PACK_PYTHON_VARIABLE
    sessions = {
        node.name: node
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
        and any("session" in ast.unparse(decorator) for decorator in node.decorator_list)
    }
    assert "newest" in sessions
    assert "PACK_PYTHON" in ast.unparse(sessions["newest"])
