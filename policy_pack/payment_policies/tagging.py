"""Required tags on every taggable resource, the inventory PCI DSS asks for."""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from typing import Any

import re2
from pulumi_policy import EnforcementLevel, ResourceValidationArgs, Severity

from payment_policies.declare import Config, Resource, pci, resource_policy
from payment_policies.kinds import TAGGABLE
from payment_policies.props import (
    block,
    is_set,
    is_unknown,
    json_object,
    known,
    plain,
    shallow_copy,
    string_map,
)

ISO_DATE = r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$"


def default_tags(provider: Mapping[str, Any] | None) -> dict[str, Any]:
    """The provider's `defaultTags.tags`; provider config may arrive JSON-encoded."""
    return string_map(block(json_object((provider or {}).get("defaultTags"))).get("tags"))


def _tags(resource: Resource) -> dict[str, Any] | str:
    """The resource's own tags, or the unknown marker when the whole map is unknown."""
    tags = resource.props.get("tags")
    return str(tags) if is_unknown(tags) else string_map(tags)


def _tag_value(own: dict[str, Any] | str, inherited: dict[str, Any], tag: str) -> Any:
    """The tag's effective value: the resource's own, else the provider's default."""
    if isinstance(own, dict) and is_set(own.get(tag)):
        return own[tag]
    if tag in inherited:
        return inherited[tag]
    return own.get(tag) if isinstance(own, dict) else known(own, "tags")


def _required_tags(resource: Resource, config: Config) -> Iterator[str]:
    own = _tags(resource)
    inherited = default_tags(resource.provider)
    values = {tag: _tag_value(own, inherited, tag) for tag in config["requiredTags"]}
    missing = sorted(tag for tag, value in values.items() if not is_set(value))
    if missing:
        seen = sorted(own) if isinstance(own, dict) else own
        yield f"missing or empty required tags {missing} (tags seen: {seen})"
    for tag, allowed in config["allowedValues"].items():
        value = values.get(tag)
        if is_set(value) and known(value, f"tags.{tag}") not in allowed:
            yield f"tag {tag}={value!r} is not one of {allowed}"
    for tag, pattern in config["patterns"].items():
        value = values.get(tag)
        if not is_set(value):
            continue
        compiled = _linear(pattern)
        if isinstance(compiled, str):
            yield f"tag {tag}: the pattern {pattern!r} is refused: {compiled}"
        elif not compiled.search(str(known(value, f"tags.{tag}"))):
            yield f"tag {tag}={value!r} does not match {pattern!r}"


@functools.cache
def _linear(pattern: str) -> Any:
    """The pattern compiled by RE2, which matches in time linear in the text whatever the
    pattern; or why RE2 refuses it (backreferences and lookaround have no linear-time match)."""
    try:
        return re2.compile(pattern)
    except re2.error as error:
        return f"RE2 cannot compile it ({error}): patterns must not need backtracking"


def _add_missing_tags(args: ResourceValidationArgs, config: Config) -> Mapping[str, Any] | None:
    target = shallow_copy(args.props)
    own = plain(target.get("tags"))
    if is_unknown(own):
        return None
    tags = string_map(own)
    inherited = default_tags(plain(args.provider.props) if args.provider else None)
    additions = {
        tag: value
        for tag, value in config["defaultValues"].items()
        if tag in config["requiredTags"] and not is_set(tags.get(tag, inherited.get(tag)))
    }
    if not additions:
        return None
    return target | {"tags": tags | additions}


required_tags = resource_policy(
    name="required-tags",
    description="Every taggable resource carries the inventory tags, with valid values.",
    severity=Severity.MEDIUM,
    framework=pci("12.5.1"),
    remediation_steps=(
        "Pass tags= with every required tag (or set them in the provider's default_tags); "
        "MigrationDate comes from stack config as an ISO date, never from today's date."
    ),
    enforcement=EnforcementLevel.MANDATORY,
    applies_to=TAGGABLE,
    check=_required_tags,
    remediate=_add_missing_tags,
    config={
        "requiredTags": {
            "type": "array",
            "items": {"type": "string", "minLength": 1},
            "uniqueItems": True,
            "default": ["Environment", "MigratedFrom", "MigrationDate"],
            "description": "Tags every taggable resource must carry with a non-empty value.",
        },
        "allowedValues": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
            "default": {},
            "description": "Per tag, the only values it may take.",
        },
        "patterns": {
            "type": "object",
            "additionalProperties": {"type": "string", "format": "regex"},
            "default": {"MigrationDate": ISO_DATE},
            "description": "Per tag, a regular expression its value must match.",
        },
        "defaultValues": {
            "type": "object",
            "additionalProperties": {"type": "string", "minLength": 1},
            "default": {},
            "description": "Values the remediate enforcement level adds for missing tags.",
        },
    },
)
