"""Policy pack config, the `--policy-pack-config` JSON file, read as the Pulumi CLI reads it.

The file maps `all` to an enforcement level for every policy, and a policy's name to either a
level or an object with an optional `enforcementLevel` and the policy's properties. Each policy's
properties are checked against the config schema the pack declares (unknown properties are
rejected too, so a misspelt key cannot pass silently) and completed with the schema's defaults.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema

from compliance.model.errors import UserError
from compliance.model.files import read_json
from compliance.model.findings import Enforcement
from compliance.model.pack import PackInfo, PolicyInfo

ALL_POLICIES = "all"
LEVEL_KEY = "enforcementLevel"
LEVELS = tuple(level.value for level in Enforcement)


class PolicyConfigError(UserError):
    """A policy config file that is not what the pack accepts."""


_ABSENT = object()
"""A policy the file does not name (an explicit `null` is a mistake, not an absence)."""


@dataclass(frozen=True)
class PolicyConfigEntry:
    enforcement: Enforcement | None
    """None keeps the level the policy declares."""
    properties: dict[str, Any] = field(default_factory=dict)


def load_policy_config(path: Path | None, pack: PackInfo) -> dict[str, PolicyConfigEntry]:
    """An entry for every policy of `pack`: the file's level and properties over the defaults."""
    source = str(path) if path else "(no policy config)"
    document = _read(path) if path else {}
    names = {policy.name for policy in pack.policies}
    unknown = sorted(set(document) - names - {ALL_POLICIES})
    if unknown:
        raise PolicyConfigError(
            f"{source}: {', '.join(unknown)}: no such policy in pack {pack.name} "
            f"(its policies: {', '.join(sorted(names))})"
        )
    every = None
    if ALL_POLICIES in document:
        every = _level(document[ALL_POLICIES], source, ALL_POLICIES)
    return {
        policy.name: _entry(policy, document.get(policy.name, _ABSENT), every, source)
        for policy in pack.policies
    }


def _read(path: Path) -> dict[str, Any]:
    document = read_json(path, PolicyConfigError)
    if not isinstance(document, dict):
        raise PolicyConfigError(f"{path}: must be a JSON object mapping policy names to config")
    return document


def _level(value: object, source: str, where: str) -> Enforcement:
    if value not in LEVELS:
        raise PolicyConfigError(
            f"{source}: {where}: enforcement level must be one of {', '.join(LEVELS)}, "
            f"got {value!r}"
        )
    return Enforcement(value)


def _entry(
    policy: PolicyInfo, given: object, every: Enforcement | None, source: str
) -> PolicyConfigEntry:
    level = every
    properties: dict[str, Any] = {}
    if isinstance(given, str):
        level = _level(given, source, policy.name)
    elif isinstance(given, dict):
        if LEVEL_KEY in given:
            level = _level(given[LEVEL_KEY], source, f"{policy.name}.{LEVEL_KEY}")
        properties = {key: value for key, value in given.items() if key != LEVEL_KEY}
    elif given is not _ABSENT:
        raise PolicyConfigError(
            f"{source}: {policy.name}: must be an enforcement level or an object, "
            f"got {'null' if given is None else type(given).__name__}"
        )
    return PolicyConfigEntry(level, _validated(policy, properties, source))


def _validated(policy: PolicyInfo, properties: dict[str, Any], source: str) -> dict[str, Any]:
    schema = policy.config_schema
    if schema is None:
        if properties:
            raise PolicyConfigError(
                f"{source}: {policy.name}: the policy takes no properties, "
                f"got {', '.join(sorted(properties))}"
            )
        return {}
    declared = schema.get("properties", {})
    complete = {
        key: copy.deepcopy(spec["default"])
        for key, spec in declared.items()
        if isinstance(spec, dict) and "default" in spec
    } | properties
    strict = {**schema, "type": "object", "additionalProperties": False}
    validator = jsonschema.Draft7Validator(strict, format_checker=jsonschema.FormatChecker())
    error = jsonschema.exceptions.best_match(validator.iter_errors(complete))
    if error is not None:
        where = ".".join([policy.name, *(str(step) for step in error.absolute_path)])
        raise PolicyConfigError(f"{source}: {where}: {error.message} (rule: {error.validator})")
    return complete
