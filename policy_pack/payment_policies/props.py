"""Unknown-safe reads of resource properties.

The policy SDK hands policies proxies that raise `UnknownValueError` when a value unknown during
preview is read. `plain` turns them into ordinary dicts and lists that keep the unknown markers, so
a check can ask whether a value is *set* (`is_set`) without reading it, and only a check that
needs the value itself calls `known`, which raises the SDK's error: the engine then reports the
policy as unable to run during preview instead of guessing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from importlib.metadata import version
from typing import Any

from pulumi_policy.proxy import (
    UNKNOWN_ARCHIVE_VALUE,
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_ASSET_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
    UnknownValueError,
    unknown_checking_proxy,
)
from pulumi_policy.secret import Secret

UNKNOWNS = frozenset(
    {
        UNKNOWN_ARCHIVE_VALUE,
        UNKNOWN_ARRAY_VALUE,
        UNKNOWN_ASSET_VALUE,
        UNKNOWN_BOOLEAN_VALUE,
        UNKNOWN_NUMBER_VALUE,
        UNKNOWN_OBJECT_VALUE,
        UNKNOWN_STRING_VALUE,
    }
)

Props = dict[str, Any]


def is_unknown(value: object) -> bool:
    return isinstance(value, str) and value in UNKNOWNS


def plain(value: Any) -> Any:
    """A plain copy of `value`: SDK proxies and secrets unwrapped, unknown markers kept."""
    if isinstance(value, Secret):
        return plain(value.value)
    if isinstance(value, Mapping):
        # The SDK's proxies hand out their raw target under this key without checking it.
        target = value["__target"] if _is_sdk_proxy(value) else value
        return {str(key): plain(item) for key, item in target.items()}
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        target = value["__target"] if _is_sdk_proxy(value) else value  # type: ignore[call-overload]
        return [plain(item) for item in target]
    if isinstance(value, float) and value.is_integer():
        return int(value)  # the wire (protobuf Struct) carries every number as a float
    return value


def _is_sdk_proxy(value: object) -> bool:
    return type(value).__module__.startswith("pulumi_policy.")


_PROBE = {"block": {"values": [1, "two"]}}


def check_sdk_proxies() -> None:
    """Refuse to start when the SDK's proxies no longer hand out their target under `__target`:
    `plain` would then misread every property a policy is given."""
    try:
        read = plain(unknown_checking_proxy(_PROBE))
    except Exception as error:  # any failure on the probe is the contract broken
        read = f"{type(error).__name__}: {error}"
    if read != _PROBE:
        raise RuntimeError(
            f"pulumi-policy {version('pulumi-policy')}: its property proxies no longer give "
            f"their target under '__target' (a probe read {read!r}); the pack stops rather than "
            "misread every resource (payment_policies/props.py)"
        )


check_sdk_proxies()


def shallow_copy(props: Mapping[str, Any]) -> Props:
    """A shallow copy of a property map that keeps secrets marked, for a remediation to return."""
    return dict(props["__target"]) if _is_sdk_proxy(props) else dict(props)


def plain_props(value: Any) -> Props:
    props = plain(value)
    return props if isinstance(props, dict) else {}


def is_set(value: Any) -> bool:
    """Whether a value is given: an unknown counts as given, empty strings and blocks do not."""
    return value not in (None, "", [], {})


def known(value: Any, path: str) -> Any:
    """The value itself; an unknown raises so the engine reports "can't run during preview"."""
    if is_unknown(value):
        raise UnknownValueError(value, path.split("."))
    return value


def contains_unknown(value: Any) -> bool:
    """Whether `value`, or anything nested in it, is unknown during preview."""
    if isinstance(value, dict):
        return any(contains_unknown(item) for item in value.values())
    if isinstance(value, list):
        return any(contains_unknown(item) for item in value)
    return is_unknown(value)


def known_within(value: Any, path: str) -> Any:
    """`value` when nothing in it is unknown; the first unknown in it raises as `known` does."""
    if isinstance(value, dict):
        for key, item in value.items():
            known_within(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            known_within(item, f"{path}[{index}]")
    return known(value, path)


def block(value: Any) -> dict[str, Any]:
    """A nested block as an object: Terraform-style one-element lists are unwrapped."""
    if isinstance(value, list):
        value = value[0] if len(value) == 1 else None
    return value if isinstance(value, dict) else {}


def blocks(value: Any) -> list[dict[str, Any]]:
    """A repeated nested block as a list of objects, whatever shape it arrived in."""
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, dict)]
    return []


def read(props: Any, path: str) -> Any:
    """The value at a dotted path through nested blocks, for a check to compare: None where a step
    is absent. A value unknown during preview, at the end or on the way, raises `known`'s error,
    so the engine reports the policy unable to run instead of it passing a value it never saw."""
    steps = path.split(".")
    value: Any = props
    for depth, step in enumerate(steps):
        if isinstance(value, list) and len(value) == 1:
            value = value[0]  # a Terraform-style one-element block
        known(value, ".".join(steps[:depth]) or path)
        value = value.get(step) if isinstance(value, dict) else None
        if value is None:
            return None
    return known(value, path)


def given(value: Any) -> Any:
    """A deprecated inline block as the program gave it: one unknown during preview was not given
    (the provider computes it from the separate resource that configures it), so the check judges
    that resource, and a stack with neither is a violation."""
    return None if is_unknown(value) else value


def is_on(props: Any, path: str) -> bool:
    """Whether the flag at `path` is on; unknown during preview raises, as `read` does."""
    return is_true(read(props, path))


def is_true(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


def number(value: Any) -> float | None:
    """A number from a number or numeric string (provider config arrives as strings)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def json_object(value: Any) -> Any:
    """An object that may arrive JSON-encoded (IAM documents, provider config)."""
    if isinstance(value, str) and not is_unknown(value):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def string_map(value: Any) -> dict[str, Any]:
    """A map of strings (tags) from an object, a JSON string, or nothing."""
    decoded = json_object(value)
    return {str(k): v for k, v in decoded.items()} if isinstance(decoded, dict) else {}


def walk_strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from walk_strings(item)
