"""Keep secrets out of everything the tooling shows or writes, even where an engine copied one
into a message: the console, the event log, every report.

`compliance.model.findings.redact` hides Pulumi secrets and secret-looking keys in observed values.
Here we learn the values it hides in the graph and the findings, scrub them from every string
shown, and check rendered files once more before they are written.
"""

from __future__ import annotations

import dataclasses
import html
import json
from collections.abc import Iterable, Iterator, Mapping
from enum import Enum
from typing import Any, TypeVar, cast

from compliance.model.findings import REDACTED, Finding, redact
from compliance.model.graph import SECRET_SIGNATURE_KEY, ResourceGraph, is_secret

MIN_SECRET_LENGTH = 6
"""Shorter values are not scrubbed from free text: they would garble sentences, finding ids and
digests ("1234" is in many a SHA-256). `redact` still hides them as observed values."""

T = TypeVar("T")


class SecretLeakError(RuntimeError):
    """A rendered file still holds a secret: a defect in a writer, never written to disk."""


def secret_values(graph: ResourceGraph, findings: Iterable[Finding]) -> frozenset[str]:
    """The strings `redact` hides anywhere in the graph's or the findings' values."""
    found: set[str] = set()
    for resource in graph:
        for values in (resource.inputs, resource.outputs):
            found.update(_hidden(values, redact(values)))
    for finding in findings:
        key = finding.property_path or ""
        found.update(_hidden(finding.observed, redact(finding.observed, key)))
        found.update(_hidden(dict(finding.extra), redact(dict(finding.extra))))
    return frozenset(value for value in found if len(value) >= MIN_SECRET_LENGTH)


def _hidden(original: Any, redacted: Any) -> Iterator[str]:
    if redacted == REDACTED and original != REDACTED:
        yield from _strings(original)
    elif isinstance(original, Mapping) and isinstance(redacted, Mapping):
        for key, value in original.items():
            yield from _hidden(value, redacted.get(key))
    elif isinstance(original, list | tuple) and isinstance(redacted, list | tuple):
        for item, redacted_item in zip(original, redacted, strict=False):
            yield from _hidden(item, redacted_item)


def _strings(value: Any) -> Iterator[str]:
    if is_secret(value):
        for key, payload in value.items():
            if key != SECRET_SIGNATURE_KEY:
                yield from _strings(payload)
                if key == "plaintext" and isinstance(payload, str):
                    yield from _strings(_json_or_none(payload))
    elif isinstance(value, str):
        yield value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        yield str(value)
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def _json_or_none(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return None


def scrub(value: T, secrets: frozenset[str]) -> T:
    """A copy of `value` (a report, or any part of one) with every secret replaced."""
    return cast(T, _scrub(value, sorted(secrets, key=len, reverse=True)))


def _scrub(value: Any, secrets: list[str]) -> Any:
    if isinstance(value, Enum) or not secrets:
        return value
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, REDACTED)
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {
            field.name: _scrub(getattr(value, field.name), secrets)
            for field in dataclasses.fields(value)
            if field.init
        }
        return dataclasses.replace(value, **changes)
    if isinstance(value, Mapping):
        return {_scrub(k, secrets): _scrub(v, secrets) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_scrub(item, secrets) for item in value)
    return value


def assert_clean(name: str, text: str, secrets: frozenset[str]) -> None:
    """Raise if `text` (a rendered file) shows a secret, raw or as JSON/XML/HTML escapes it."""
    for secret in secrets:
        forms = {secret, html.escape(secret), json.dumps(secret)[1:-1]}
        if any(form in text for form in forms):
            raise SecretLeakError(f"{name}: a secret value survived redaction; nothing written")
