"""Files in and out: reading what a user names (a mistake is one `UserError` naming the file and
the place) and writing what we produce so that a reader never sees half of it."""

from __future__ import annotations

import contextlib
import json
import math
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import yaml

from compliance.model.errors import UserError

MAX_INPUT_BYTES = 64 * 1024 * 1024
"""The largest file read (a stack export of tens of thousands of resources is a few MB)."""
MAX_DEPTH = 100
"""The deepest nesting of objects and lists read (Pulumi's own documents stay under 30)."""
MAX_INTEGER_DIGITS = 30
"""The longest integer read: no count, size or port of ours comes near."""
DUPLICATE = "a duplicate key (each key once: which one counts is unclear)"
_KINDS = {
    stat.S_IFDIR: "a folder",
    stat.S_IFIFO: "a pipe",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
}


def read_text(path: Path, error: type[UserError], *, limit: int = MAX_INPUT_BYTES) -> str:
    """A regular file of at most `limit` bytes, as UTF-8 text: a pipe, device or folder, a larger
    file, a byte order mark, UTF-16 or bytes that are not UTF-8 are one error naming the file."""
    try:
        # O_NONBLOCK: opening a pipe must not wait for a writer; it is refused below.
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as cause:
        raise error(f"{path}: cannot read: {cause.strerror}") from None
    mode = os.fstat(descriptor).st_mode
    if not stat.S_ISREG(mode):
        os.close(descriptor)
        kind = _KINDS.get(stat.S_IFMT(mode), "not a regular file")
        raise error(f"{path}: cannot read: {kind}, not a regular file")
    with os.fdopen(descriptor, "rb") as stream:
        try:
            data = stream.read(limit + 1)
        except OSError as cause:
            raise error(f"{path}: cannot read: {cause.strerror}") from None
    if len(data) > limit:
        raise error(f"{path}: cannot read: larger than the {limit:,}-byte limit")
    return _decoded(data, path, error)


def _decoded(data: bytes, path: Path, error: type[UserError]) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise error(f"{path}: UTF-16 (it starts with a UTF-16 byte order mark): save it as UTF-8")
    if data.startswith(b"\xef\xbb\xbf"):
        raise error(f"{path}: starts with a byte order mark: save it as UTF-8 without one")
    if b"\x00" in data:
        line = data.count(b"\n", 0, data.index(b"\x00")) + 1
        raise error(f"{path}: line {line}: a NUL byte: UTF-16 or binary, not UTF-8 text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as cause:
        line = data.count(b"\n", 0, cause.start) + 1
        raise error(
            f"{path}: line {line}: not UTF-8 (byte 0x{data[cause.start]:02x} at offset "
            f"{cause.start})"
        ) from None


class _Refused(Exception):
    """A value the strict readers do not accept, with where it is."""

    def __init__(self, where: str, rule: str) -> None:
        shown = where if len(where) <= 120 else f"{where[:60]}…{where[-40:]}"
        super().__init__(f"{shown}: {rule}")


class _Pairs(list[tuple[str, Any]]):
    """A JSON object as parsed, its keys in order and duplicates kept, until it is checked."""


class _Constant(str):
    """NaN, Infinity or -Infinity (or a float too large to be finite), as written."""


class _LongInteger(str):
    """An integer longer than `MAX_INTEGER_DIGITS`, as written."""


def _integer(text: str) -> int | _LongInteger:
    return _LongInteger(text) if len(text.lstrip("-")) > MAX_INTEGER_DIGITS else int(text)


def _float(text: str) -> float | _Constant:
    value = float(text)
    return value if math.isfinite(value) else _Constant(text)


def _json_path(parent: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{parent}[{key}]"
    return f"{parent}.{key}" if key.isidentifier() else f"{parent}[{json.dumps(key)}]"


def _checked_json(value: Any, where: str, depth: int) -> Any:
    """The parsed value with its objects as dicts, or `_Refused` naming the JSON path."""
    if depth >= MAX_DEPTH:
        raise _Refused(where, f"nested more than {MAX_DEPTH} levels deep")
    if isinstance(value, _Constant):
        raise _Refused(where, f"{value} is not a JSON number (NaN and infinities are refused)")
    if isinstance(value, _LongInteger):
        raise _Refused(where, f"an integer of {len(value)} digits (at most {MAX_INTEGER_DIGITS})")
    if isinstance(value, str):
        _check_string(value, where)
        return value
    if isinstance(value, _Pairs):
        checked: dict[str, Any] = {}
        for key, item in value:
            _check_string(key, where)
            inner = _json_path(where, key)
            if key in checked:
                raise _Refused(
                    inner, "a duplicate key (each key once: which one counts is unclear)"
                )
            checked[key] = _checked_json(item, inner, depth + 1)
        return checked
    if isinstance(value, list):
        return [
            _checked_json(item, _json_path(where, i), depth + 1) for i, item in enumerate(value)
        ]
    return value


def _check_string(text: str, where: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise _Refused(where, "a lone surrogate (\\ud800-\\udfff): not Unicode text") from None


def parse_json(text: str, source: str, error: type[UserError]) -> Any:
    """Strict JSON: duplicate keys, NaN and infinities, integers over `MAX_INTEGER_DIGITS`
    digits, nesting past `MAX_DEPTH` and lone surrogates are one error naming the JSON path."""
    try:
        parsed = json.loads(
            text,
            object_pairs_hook=_Pairs,
            parse_constant=_Constant,
            parse_int=_integer,
            parse_float=_float,
        )
        return _checked_json(parsed, "$", 0)
    except json.JSONDecodeError as cause:
        raise error(
            f"{source}: not JSON (line {cause.lineno}, column {cause.colno}: {cause.msg})"
        ) from None
    except RecursionError:
        raise error(f"{source}: not read: nested more than {MAX_DEPTH} levels deep") from None
    except _Refused as refused:
        raise error(f"{source}: {refused}") from None


def read_json(path: Path, error: type[UserError]) -> Any:
    return parse_json(read_text(path, error), str(path), error)


class _YamlLoader(yaml.SafeLoader):
    """Strict safe YAML: no aliases (so no "billion laughs"), no duplicate keys, no NaN or
    infinities, no integers over `MAX_INTEGER_DIGITS` digits, nesting at most `MAX_DEPTH`; dates
    kept as written, so the reader checks them and names a bad one."""

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise _Refused(_line(event.start_mark), "a YAML alias (*name): aliases are refused")
        self._depth = getattr(self, "_depth", 0) + 1
        try:
            if self._depth > MAX_DEPTH:
                raise _Refused(
                    _line(self.peek_event().start_mark),  # type: ignore[no-untyped-call]
                    f"nested more than {MAX_DEPTH} levels deep",
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, str | int | float | bool) and key in seen:
                raise _Refused(
                    _line(key_node.start_mark),
                    f"{DUPLICATE.replace('key', f'key {key!r}', 1)}",
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _line(mark: Any) -> str:
    return f"line {mark.line + 1}, column {mark.column + 1}"


def _as_written(loader: _YamlLoader, node: yaml.ScalarNode) -> str:
    return str(loader.construct_scalar(node))


def _integer_node(loader: _YamlLoader, node: yaml.ScalarNode) -> int:
    digits = str(node.value).replace("_", "").lstrip("+-")
    if len(digits) > MAX_INTEGER_DIGITS:
        raise _Refused(
            _line(node.start_mark),
            f"an integer of {len(digits)} digits (at most {MAX_INTEGER_DIGITS})",
        )
    return int(loader.construct_yaml_int(node))


def _float_node(loader: _YamlLoader, node: yaml.ScalarNode) -> float:
    value = float(loader.construct_yaml_float(node))
    if not math.isfinite(value):
        raise _Refused(_line(node.start_mark), f"{node.value} (NaN and infinities are refused)")
    return value


_YamlLoader.add_constructor("tag:yaml.org,2002:timestamp", _as_written)
_YamlLoader.add_constructor("tag:yaml.org,2002:int", _integer_node)
_YamlLoader.add_constructor("tag:yaml.org,2002:float", _float_node)


def _refuse_surrogates(value: Any, where: str) -> None:
    for text, inner in _strings(value, where):
        _check_string(text, inner)


def _strings(value: Any, where: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield value, where
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key, where)
            yield from _strings(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{where}[{index}]")


def read_yaml(path: Path, error: type[UserError]) -> Any:
    """A YAML document; malformed or refused YAML is one line with its line, column and rule."""
    text = read_text(path, error)
    try:
        document = yaml.load(text, Loader=_YamlLoader)
        _refuse_surrogates(document, "$")
        return document
    except yaml.YAMLError as cause:
        raise error(f"{path}: not valid YAML: {_yaml_problem(cause)}") from None
    except _Refused as refused:
        raise error(f"{path}: {refused}") from None
    except RecursionError:
        raise error(f"{path}: not read: nested more than {MAX_DEPTH} levels deep") from None


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


def contained(path: Path, root: Path, error: type[UserError]) -> Path:
    """`path`, once it is known to lie under `root` (links resolved): what the tooling writes
    stays in the folder it was given, whatever names a state file carries."""
    if not path.resolve().is_relative_to(root.resolve()):
        raise error(f"{path}: not under {root}: nothing is written outside it")
    return path


def tail_of(stream: IO[bytes], chars: int) -> str:
    """The last `chars` characters written to a file another process writes to (its stderr)."""
    stream.flush()
    stream.seek(0, os.SEEK_END)
    size = stream.tell()
    stream.seek(max(0, size - chars))
    return stream.read().decode(errors="replace").strip()


def write_atomically(path: Path, text: str) -> None:
    """Write `text` beside `path` first, then rename it into place (creating the folder). The
    file beside is created exclusively under a random name: a link planted there is never
    followed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, partial = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.chmod(partial, 0o644)
        os.replace(partial, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(partial)
        raise
