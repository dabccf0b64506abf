"""The resource graph, in Pulumi's own stack-export format (`pulumi stack export`, version 3).

The offline preview writes it, `pulumi stack export` produces it for a deployed stack, and the
policy analysis, the checkov conversion and the audit report all read it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from compliance.model.errors import GraphError
from compliance.model.files import read_json, write_atomically

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
"""The engine's marker for a value that a preview cannot know (ids, ARNs, computed names)."""

SECRET_SIGNATURE_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIGNATURE = "1b47061264138c4ac30d75fd1eb44270"
"""A secret value in a state document is an object carrying this signature under that key."""

PROVIDER_TYPE_PREFIX = "pulumi:providers:"
_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]*")
MAX_URN_LENGTH = 4096
MAX_TAGS = 50
MAX_TAG_KEY = 128
MAX_TAG_VALUE = 256
_TAG_TEXT = re.compile(r"[\w\s+\-=.:/@]*")
MAX_NAME_LENGTH = 100
"""Of a stack or project name: they name the folders the tooling writes under --build-dir."""
STACK_TYPE = "pulumi:pulumi:Stack"


def is_unknown(value: object) -> bool:
    return value == UNKNOWN


def is_secret(value: object) -> bool:
    return isinstance(value, Mapping) and value.get(SECRET_SIGNATURE_KEY) == SECRET_SIGNATURE


def secret(value: object) -> dict[str, object]:
    """`value` marked secret, as the engine passes a secret to a program or a policy pack."""
    return {SECRET_SIGNATURE_KEY: SECRET_SIGNATURE, "value": value}


def urn_name(urn: str) -> str:
    """The logical name, the last `::` segment of a URN."""
    return urn.rsplit("::", 1)[-1]


def provider_urn(reference: str) -> str:
    """A provider reference is `<provider urn>::<provider id>`; this is its URN."""
    return reference.rsplit("::", 1)[0]


@dataclass(frozen=True)
class GraphResource:
    urn: str
    type: str
    custom: bool
    inputs: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    id: str | None = None
    parent: str | None = None
    dependencies: tuple[str, ...] = ()
    property_dependencies: dict[str, tuple[str, ...]] = field(default_factory=dict)
    protect: bool = False
    provider: str | None = None

    @property
    def name(self) -> str:
        return urn_name(self.urn)

    @property
    def is_provider(self) -> bool:
        return self.type.startswith(PROVIDER_TYPE_PREFIX)

    @property
    def state(self) -> dict[str, Any]:
        """What a stack-level analysis sees: the outputs once known, the inputs before."""
        return self.outputs or self.inputs

    def to_export(self) -> dict[str, Any]:
        document: dict[str, Any] = {"urn": self.urn, "custom": self.custom, "type": self.type}
        if self.id is not None:
            document["id"] = self.id
        document["inputs"] = self.inputs
        document["outputs"] = self.outputs
        if self.parent:
            document["parent"] = self.parent
        if self.protect:
            document["protect"] = True
        if self.dependencies:
            document["dependencies"] = list(self.dependencies)
        if self.property_dependencies:
            document["propertyDependencies"] = {
                key: list(urns) for key, urns in self.property_dependencies.items()
            }
        if self.provider:
            document["provider"] = self.provider
        return document


@dataclass(frozen=True)
class ResourceGraph:
    project: str
    stack: str
    resources: tuple[GraphResource, ...]
    _by_urn: dict[str, GraphResource] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_urn", {r.urn: r for r in self.resources})

    def __iter__(self) -> Iterator[GraphResource]:
        return iter(self.resources)

    def __len__(self) -> int:
        return len(self.resources)

    def get(self, urn: str) -> GraphResource | None:
        return self._by_urn.get(urn)

    @property
    def root(self) -> GraphResource | None:
        """The stack resource (`pulumi:pulumi:Stack`), parent of the others."""
        return _root(self.resources)

    @property
    def outputs(self) -> dict[str, Any]:
        """The stack's outputs, which the root stack resource holds."""
        root = self.root
        return dict(root.outputs) if root else {}

    def provider_of(self, resource: GraphResource) -> GraphResource | None:
        if resource.provider is None:
            return None
        return self._by_urn.get(provider_urn(resource.provider))

    def custom_resources(self) -> list[GraphResource]:
        """Resources a provider manages (what policies and checkov inspect), providers excluded."""
        return [r for r in self.resources if r.custom and not r.is_provider]

    def to_stack_export(self) -> dict[str, Any]:
        return {
            "version": 3,
            "deployment": {
                "manifest": {"magic": "", "version": ""},
                "resources": [r.to_export() for r in self.resources],
            },
        }

    def write(self, path: Path) -> None:
        """Write the stack-export document atomically."""
        write_atomically(path, json.dumps(self.to_stack_export(), indent=2, sort_keys=True) + "\n")

    @classmethod
    def from_stack_export(cls, document: object, source: str) -> ResourceGraph:
        """Read a `pulumi stack export` document; `source` names it in errors."""
        if not isinstance(document, dict):
            raise GraphError(f"{source}: $: a stack export must be a JSON object")
        version = document.get("version")
        if version != 3:
            raise GraphError(
                f"{source}: $.version: expected 3 (pulumi stack export format), got {version!r}"
            )
        deployment = document.get("deployment")
        if not isinstance(deployment, dict):
            raise GraphError(f"{source}: $.deployment: must be an object")
        raw_resources = deployment.get("resources")
        if raw_resources is None:
            raw_resources = []
        if not isinstance(raw_resources, list):
            raise GraphError(f"{source}: $.deployment.resources: must be a list")
        resources = tuple(
            _read_resource(raw, f"{source}: $.deployment.resources[{index}]")
            for index, raw in enumerate(raw_resources)
        )
        _check_graph(resources, source)
        _check_provider_references(resources, source)
        project, stack_name = _project_and_stack(resources)
        return cls(project=project, stack=stack_name, resources=resources)

    @classmethod
    def load(cls, path: Path) -> ResourceGraph:
        return cls.from_stack_export(read_json(path, GraphError), str(path))


def _root(resources: tuple[GraphResource, ...]) -> GraphResource | None:
    return next((r for r in resources if r.type == STACK_TYPE), None)


def _project_and_stack(resources: tuple[GraphResource, ...]) -> tuple[str, str]:
    first = _root(resources) or (resources[0] if resources else None)
    if first is None:
        return "", ""
    stack, project = _urn_parts(first.urn)
    return project, stack


def _check_graph(resources: tuple[GraphResource, ...], source: str) -> None:
    """A graph the engine could have written: one stack resource, each URN once and of that
    stack, whose stack and project parts are names (they name folders the tooling writes), and
    every parent and dependency a resource of the document."""
    where = f"{source}: $.deployment.resources"
    if not resources:
        raise GraphError(
            f"{where}: empty: a deployed stack's export lists at least its stack resource"
        )
    index: dict[str, int] = {}
    for position, resource in enumerate(resources):
        if resource.urn in index:
            raise GraphError(
                f"{where}[{position}].urn: the URN of resources[{index[resource.urn]}] again "
                f"(each resource once): {resource.urn!r}"
            )
        index[resource.urn] = position
    roots = [position for position, r in enumerate(resources) if r.type == STACK_TYPE]
    if len(roots) != 1:
        raise GraphError(
            f"{where}: {len(roots)} stack resources ({STACK_TYPE}); an export has exactly one"
        )
    stack, project = _urn_parts(resources[roots[0]].urn)
    for name, what in ((stack, "stack"), (project, "project")):
        if not _NAME.fullmatch(name) or len(name) > MAX_NAME_LENGTH:
            raise GraphError(
                f"{where}[{roots[0]}].urn: the {what} name {name[:80]!r} is not a name "
                f"(letters, digits, '-', '_', '.', not starting with '.', at most "
                f"{MAX_NAME_LENGTH} characters)"
            )
    for position, resource in enumerate(resources):
        _check_aws_limits(resource, f"{where}[{position}]")
        if _urn_parts(resource.urn) != (stack, project):
            raise GraphError(
                f"{where}[{position}].urn: not of stack {project}/{stack}: {resource.urn[:200]!r}"
            )
        references = [
            ("parent", resource.parent),
            *(("dependencies", d) for d in resource.dependencies),
        ]
        references += [
            (f"propertyDependencies.{key}", urn)
            for key, urns in resource.property_dependencies.items()
            for urn in urns
        ]
        for field_name, urn in references:
            if urn is not None and urn not in index:
                raise GraphError(
                    f"{where}[{position}].{field_name}: names no resource of the document: "
                    f"{urn[:200]!r}"
                )


def _check_aws_limits(resource: GraphResource, where: str) -> None:
    """What AWS itself would never hold, which the policies and reports would carry: an
    overlong URN, more than 50 tags, a tag key or value longer or of other characters than
    AWS allows."""
    if len(resource.urn) > MAX_URN_LENGTH:
        raise GraphError(
            f"{where}.urn: {len(resource.urn):,} characters, more than the {MAX_URN_LENGTH:,} a "
            "resource's URN may have here"
        )
    for section, values in (("inputs", resource.inputs), ("outputs", resource.outputs)):
        for field_name in ("tags", "tagsAll"):
            tags = values.get(field_name)
            if not isinstance(tags, dict):
                continue
            place = f"{where}.{section}.{field_name}"
            if len(tags) > MAX_TAGS:
                raise GraphError(f"{place}: {len(tags)} tags; AWS allows at most {MAX_TAGS}")
            for key, value in tags.items():
                if not 1 <= len(key) <= MAX_TAG_KEY or not _TAG_TEXT.fullmatch(key):
                    raise GraphError(
                        f"{place}: the key {key[:60]!r} is not a tag key AWS accepts (1-"
                        f"{MAX_TAG_KEY} letters, digits, spaces or + - = . _ : / @)"
                    )
                if isinstance(value, str) and (
                    len(value) > MAX_TAG_VALUE or not _TAG_TEXT.fullmatch(value)
                ):
                    raise GraphError(
                        f"{place}.{key}: not a tag value AWS accepts (at most {MAX_TAG_VALUE} "
                        "letters, digits, spaces or + - = . _ : / @)"
                    )


def _urn_parts(urn: str) -> tuple[str, str]:
    """(stack, project) of `urn:pulumi:<stack>::<project>::<type>::<name>`."""
    parts = urn.split("::")
    return parts[0].removeprefix("urn:pulumi:"), parts[1]


def _check_provider_references(resources: tuple[GraphResource, ...], source: str) -> None:
    """Every provider reference names a provider of the document, as the engine's snapshot does:
    the provider's inputs are what a policy reads the region and default tags from."""
    providers = {r.urn for r in resources if r.is_provider}
    for index, resource in enumerate(resources):
        if resource.provider is not None and provider_urn(resource.provider) not in providers:
            raise GraphError(
                f"{source}: $.deployment.resources[{index}].provider: names no provider of the "
                f"document: {resource.provider!r}"
            )


def _read_resource(raw: object, where: str) -> GraphResource:
    if not isinstance(raw, dict):
        raise GraphError(f"{where}: each resource must be an object")
    urn = _required_str(raw, "urn", where)
    if not urn.startswith("urn:pulumi:") or urn.count("::") < 3:
        raise GraphError(f"{where}.urn: not a Pulumi URN: {urn!r}")
    property_dependencies = raw.get("propertyDependencies") or {}
    if not isinstance(property_dependencies, dict) or not all(
        isinstance(urns, list) and all(isinstance(u, str) for u in urns)
        for urns in property_dependencies.values()
    ):
        raise GraphError(f"{where}.propertyDependencies: must map property names to URN lists")
    return GraphResource(
        urn=urn,
        type=_required_str(raw, "type", where),
        custom=_optional(raw, "custom", bool, where, default=False),
        inputs=_optional(raw, "inputs", dict, where, default={}),
        outputs=_optional(raw, "outputs", dict, where, default={}),
        id=_optional(raw, "id", str, where, default=None),
        parent=_optional(raw, "parent", str, where, default=None),
        dependencies=tuple(_string_list(raw, "dependencies", where)),
        property_dependencies={key: tuple(urns) for key, urns in property_dependencies.items()},
        protect=_optional(raw, "protect", bool, where, default=False),
        provider=_optional(raw, "provider", str, where, default=None),
    )


def _required_str(raw: dict[str, Any], key: str, where: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value:
        raise GraphError(f"{where}.{key}: required, a non-empty string")
    return value


def _optional(raw: dict[str, Any], key: str, kind: type, where: str, default: Any) -> Any:
    value = raw.get(key)
    if value is None or value == "":
        return default
    if not isinstance(value, kind):
        raise GraphError(f"{where}.{key}: must be {kind.__name__}, got {type(value).__name__}")
    return value


def _string_list(raw: dict[str, Any], key: str, where: str) -> list[str]:
    value = raw.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise GraphError(f"{where}.{key}: must be a list of URNs")
    return value
