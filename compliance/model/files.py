"""Files in and out: reading what a user names (a mistake is one `UserError` naming the file and
the place) and writing what we produce so that a reader never sees half of it."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import IO, Any

import yaml

from compliance.model.errors import UserError


def read_text(path: Path, error: type[UserError]) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as cause:
        raise error(f"{path}: cannot read: {cause.strerror}") from None


def read_json(path: Path, error: type[UserError]) -> Any:
    try:
        return json.loads(read_text(path, error))
    except json.JSONDecodeError as cause:
        raise error(
            f"{path}: not JSON (line {cause.lineno}, column {cause.colno}: {cause.msg})"
        ) from None


class _YamlLoader(yaml.SafeLoader):
    """Safe YAML that keeps dates as written, so the reader checks them and names a bad one."""


def _as_written(loader: _YamlLoader, node: yaml.ScalarNode) -> str:
    return str(loader.construct_scalar(node))


_YamlLoader.add_constructor("tag:yaml.org,2002:timestamp", _as_written)


def read_yaml(path: Path, error: type[UserError]) -> Any:
    """A YAML document; malformed YAML is one line with its line, column and problem."""
    text = read_text(path, error)
    try:
        return yaml.load(text, Loader=_YamlLoader)
    except yaml.YAMLError as cause:
        raise error(f"{path}: not valid YAML: {_yaml_problem(cause)}") from None


def read_yaml_mapping(path: Path, error: type[UserError]) -> dict[str, Any]:
    """A YAML file holding a mapping; an empty file is an empty mapping."""
    document = read_yaml(path, error)
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise error(f"{path}: must be a YAML map")
    return document


def _yaml_problem(error: yaml.YAMLError) -> str:
    """PyYAML's own message spans several lines, with a snippet."""
    if isinstance(error, yaml.MarkedYAMLError) and error.problem_mark is not None:
        mark = error.problem_mark
        return f"line {mark.line + 1}, column {mark.column + 1}: {error.problem}"
    return " ".join(str(error).split())


def tail_of(stream: IO[bytes], chars: int) -> str:
    """The last `chars` characters written to a file another process writes to (its stderr)."""
    stream.flush()
    stream.seek(0, os.SEEK_END)
    size = stream.tell()
    stream.seek(max(0, size - chars))
    return stream.read().decode(errors="replace").strip()


def write_atomically(path: Path, text: str) -> None:
    """Write `text` beside `path` first, then rename it into place (creating the folder)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)
