"""Where in the program a resource is declared: the file and line a reader (or GitHub) opens.

A URN carries the resource's type and the types of the components above it
(`urn:pulumi:prod::payments::payments:storage:Bucket$aws:s3/bucket:Bucket::receipts`). The
resource is declared where its Python class (`aws.s3.Bucket(`) is called, preferably inside the
module that defines its nearest component (`"payments:storage:Bucket"`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

PROGRAM_DIR = "infra"
PROJECT_FILE = "Pulumi.yaml"


@dataclass(frozen=True)
class SourceLocation:
    path: str
    """Relative to the project root, with forward slashes."""
    line: int
    declared: bool
    """False when the declaration was not found and this points at the project file."""


def type_chain(urn: str) -> list[str]:
    """The types in a URN, outermost component first, the resource's own type last."""
    parts = urn.split("::")
    return parts[2].split("$") if len(parts) >= 4 else []


def _call_pattern(type_token: str) -> re.Pattern[str] | None:
    """`aws:s3/bucket:Bucket` is constructed as `aws.s3.Bucket(` (or `s3.Bucket(`); a module
    named by a Python keyword takes an underscore (`aws:lambda/function:Function`: `lambda_`)."""
    match = re.fullmatch(r"[\w-]+:([\w-]+)(?:/[\w-]+)?:(\w+)", type_token)
    if match is None:
        return None
    module, cls = match.groups()
    return re.compile(rf"(?<![\w]){re.escape(module)}_?\.{re.escape(cls)}\s*\(")


def _literal(type_token: str) -> re.Pattern[str]:
    """A component's type token as its module writes it, in quotes."""
    return re.compile(rf"[\"']{re.escape(type_token)}[\"']")


class SourceLocator:
    def __init__(self, project_dir: Path) -> None:
        self._project_dir = project_dir
        self._located: dict[str | None, SourceLocation] = {}

    @cached_property
    def _modules(self) -> dict[str, list[str]]:
        program = self._project_dir / PROGRAM_DIR
        return {
            path.relative_to(self._project_dir).as_posix(): path.read_text().splitlines()
            for path in sorted(program.rglob("*.py"))
            if "__pycache__" not in path.parts
        }

    def locate(self, urn: str | None) -> SourceLocation:
        if urn not in self._located:
            chain = type_chain(urn) if urn else []
            preferred = [self._component_module(t) for t in reversed(chain)]
            found = self._find(chain[-1], preferred) if chain else None
            self._located[urn] = found or SourceLocation(PROJECT_FILE, 1, declared=False)
        return self._located[urn]

    def _component_module(self, type_token: str) -> str | None:
        literal = _literal(type_token)
        return next(
            (path for path, lines in self._modules.items() if any(map(literal.search, lines))),
            None,
        )

    def _find(self, type_token: str, preferred: list[str | None]) -> SourceLocation | None:
        pattern = _call_pattern(type_token)
        literal = _literal(type_token)
        order = [p for p in preferred if p] + sorted(self._modules)
        for path in order:
            for number, line in enumerate(self._modules[path], start=1):
                if (pattern and pattern.search(line)) or literal.search(line):
                    return SourceLocation(path, number, declared=True)
        return None
