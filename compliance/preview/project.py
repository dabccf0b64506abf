"""A Pulumi project and its stacks' configuration, read as the CLI and the language host read them.

`Pulumi.yaml` names the project, its program (`main`) and config defaults; `Pulumi.<stack>.yaml`
holds the stack's config over those defaults, every value handed to the program as a string.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from compliance.model.errors import UserError
from compliance.model.files import read_yaml_mapping
from compliance.model.graph import UNKNOWN, secret


class StackConfigError(UserError):
    """`Pulumi.yaml` or `Pulumi.<stack>.yaml` is missing or malformed."""


@dataclass(frozen=True)
class StackConfig:
    """A stack's configuration as the language host hands it to a program: every value a string."""

    values: dict[str, str]
    secret_keys: frozenset[str] = frozenset()

    def get(self, key: str) -> str | None:
        return self.values.get(key)

    def package_inputs(self, package: str) -> dict[str, Any]:
        """A default provider's inputs: the `<package>:*` keys, unqualified, secrets wrapped."""
        inputs: dict[str, Any] = {}
        for key, value in self.values.items():
            namespace, _, name = key.partition(":")
            if namespace != package:
                continue
            inputs[name] = secret(value) if key in self.secret_keys else value
        return inputs


@dataclass(frozen=True)
class Project:
    name: str
    directory: Path
    main: Path
    """The program's directory (`main` in `Pulumi.yaml`), where the program runs."""
    config_defaults: dict[str, str] = field(default_factory=dict)


def stack_config_path(project_dir: Path, stack: str) -> Path:
    """`Pulumi.<stack>.yaml`, beside the project's `Pulumi.yaml`."""
    return project_dir / f"Pulumi.{stack}.yaml"


def load_project(project_dir: Path) -> Project:
    path = project_dir / "Pulumi.yaml"
    document = read_yaml_mapping(path, StackConfigError)
    name = document.get("name")
    if not isinstance(name, str) or not name:
        raise StackConfigError(f"{path}: name: required, the project's name")
    main = document.get("main") or "."
    if not isinstance(main, str):
        raise StackConfigError(f"{path}: main: must be a path, got {main!r}")
    raw_config = document.get("config") or {}
    if not isinstance(raw_config, dict):
        raise StackConfigError(f"{path}: config: must be a map of keys to values")
    defaults: dict[str, str] = {}
    for key, declared in raw_config.items():
        value = (
            declared.get("default", declared.get("value"))
            if isinstance(declared, dict)
            else declared
        )
        if value is not None:
            defaults[_qualified_key(str(key), name)] = _config_text(value)
    return Project(name, project_dir, (project_dir / main).resolve(), defaults)


def load_stack_config(project: Project, stack: str) -> StackConfig:
    """Read `Pulumi.<stack>.yaml` over the project's defaults, as `pulumi config` would show it."""
    path = stack_config_path(project.directory, stack)
    raw = read_yaml_mapping(path, StackConfigError).get("config") or {}
    if not isinstance(raw, dict):
        raise StackConfigError(f"{path}: config: must be a map of keys to values")
    values = dict(project.config_defaults)
    secret_keys: set[str] = set()
    for raw_key, value in raw.items():
        key = _qualified_key(str(raw_key), project.name)
        if isinstance(value, dict) and set(value) == {"secure"}:
            # Offline there is no secrets provider to decrypt it: a secret that preview cannot know.
            values[key] = UNKNOWN
            secret_keys.add(key)
        elif value is None:
            raise StackConfigError(f"{path}: config.{raw_key}: has no value")
        else:
            values[key] = _config_text(value)
    return StackConfig(values, frozenset(secret_keys))


def _qualified_key(key: str, project: str) -> str:
    return key if ":" in key else f"{project}:{key}"


def _config_text(value: object) -> str:
    """A config value as the CLI passes it: strings as they are, everything else as JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"), sort_keys=True)
