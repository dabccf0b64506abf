"""JSON request documents read strictly: what a payment function accepts before any field check.

A document is rejected as a whole (never naming the offending text) when its JSON repeats a key
in one object or spells a non-finite number, when it nests deeper than `MAX_DEPTH`, encodes to
more than the configured number of bytes, or holds a string with a lone surrogate or a control
character (C0, DEL or C1).
"""

import json
import math
import re
from collections.abc import Iterator
from decimal import Decimal

# The contract is one flat object; a few levels more let a nested value be judged as a field's.
MAX_DEPTH = 4

_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class DocumentRejected(Exception):
    """The document is not one a payment function reads; the message names no request text."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def parse_json(raw: bytes, max_bytes: int) -> object:
    """The document in `raw` (UTF-8 JSON, numbers as Decimal), checked as `check_document` does
    (its size is the raw body's)."""
    if len(raw) > max_bytes:
        raise DocumentRejected(f"the body must be at most {max_bytes} bytes")
    try:
        document = json.loads(
            raw.decode("utf-8"),
            object_pairs_hook=_unique_keys,
            parse_float=Decimal,
            parse_constant=_non_finite,
        )
    except RecursionError:
        raise DocumentRejected(_too_deep()) from None
    except ValueError:
        # Bad UTF-8, bad JSON and integers longer than Python converts.
        raise DocumentRejected("the body is not valid UTF-8 JSON") from None
    _check_values(document)
    return document


def check_document(document: object, max_bytes: int) -> None:
    """Reject a parsed document that nests too deep, is too large, or holds a string or number
    no payment field can carry."""
    _check_values(document)
    size = len(json.dumps(document, ensure_ascii=False, default=str).encode("utf-8"))
    if size > max_bytes:
        raise DocumentRejected(f"the body must be at most {max_bytes} bytes")


def _check_values(document: object) -> None:
    for depth, value in _walk(document):
        if depth > MAX_DEPTH:
            raise DocumentRejected(_too_deep())
        if isinstance(value, str):
            _check_string(value)
        elif isinstance(value, float) and not math.isfinite(value):
            raise DocumentRejected("numbers must be finite")


def texts(document: object) -> Iterator[str]:
    """Every key and string of a checked document in document order; numbers as they read."""
    for _, value in _walk(document):
        if isinstance(value, str):
            yield value
        elif isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            yield str(value)


def _walk(document: object) -> Iterator[tuple[int, object]]:
    """Every value with its depth (keys as strings at their object's depth), depth-first in
    document order, without recursion."""
    pending: list[tuple[int, object]] = [(0, document)]
    while pending:
        depth, value = pending.pop()
        yield depth, value
        if isinstance(value, dict):
            children: list[tuple[int, object]] = []
            for key, item in value.items():
                children += [(depth, key), (depth + 1, item)]
            pending.extend(reversed(children))
        elif isinstance(value, list):
            pending.extend((depth + 1, item) for item in reversed(value))


def _check_string(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise DocumentRejected("strings must be valid Unicode (no lone surrogates)") from None
    if _CONTROL_CHARACTERS.search(text):
        raise DocumentRejected(
            "strings must not contain control characters (U+0000-U+001F, U+007F-U+009F)"
        )


def _unique_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    document = dict(pairs)
    if len(document) != len(pairs):
        raise DocumentRejected("an object must not repeat a key")
    return document


def _non_finite(_: str) -> object:
    raise DocumentRejected("numbers must be finite (no NaN or Infinity)")


def _too_deep() -> str:
    return f"the body must not nest deeper than {MAX_DEPTH} levels"
