"""A resource graph as the Terraform plan JSON that `checkov --framework terraform_plan` reads.

Each pulumi-aws resource becomes a planned resource (`planned_values.root_module.resources[]`) with
its inputs under Terraform names, nested objects as blocks (lists of objects), maps kept as maps and
provider default tags merged into `tags_all`. Values unknown during preview and secrets are dropped,
never passed on as placeholders. Links come from the graph's property dependencies: each becomes a
Terraform reference in `configuration.root_module.resources[].expressions`, at the attribute that
holds the linked value, which is what checkov's plan parser turns into graph edges. A linked value
that is known (an input passed through, or a deployed stack's output) is replaced by its reference
when it equals one of the linked resource's values, as Terraform's configuration would show it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from compliance.checkov.attributes import terraform_attribute
from compliance.checkov.shapes import Field, Kind, Shape, resource_shape
from compliance.checkov.types import snake_case, terraform_type
from compliance.model.graph import (
    PROVIDER_TYPE_PREFIX,
    GraphResource,
    ResourceGraph,
    is_secret,
    is_unknown,
    provider_urn,
)
from compliance.model.tokens import AWS_PACKAGE, is_aws

TERRAFORM_VERSION = "1.9.8"
PROVIDER_SOURCE = "registry.terraform.io/hashicorp/aws"
AWS_PROVIDER_TYPE = f"{PROVIDER_TYPE_PREFIX}{AWS_PACKAGE}"
_INVALID_NAME_CHARACTERS = re.compile(r"[^A-Za-z0-9_-]+")
_ARN_SUFFIX = re.compile(r"(^|_)arns?$")


@dataclass(frozen=True)
class TerraformPlan:
    document: dict[str, Any]
    resources: Mapping[str, GraphResource]
    """Terraform address (`aws_s3_bucket.receipts`, or `aws.default` for a provider) -> resource."""
    skipped: tuple[GraphResource, ...]
    """Custom resources of other packages, which checkov's AWS checks cannot read."""

    @property
    def converted(self) -> int:
        return sum(1 for resource in self.resources.values() if not resource.is_provider)


@dataclass(frozen=True)
class _Link:
    address: str
    state: Mapping[str, Any]
    """The linked resource's outputs once known, else its inputs."""

    def references(self, attribute: str) -> list[str]:
        return [f"{self.address}.{attribute}", self.address]


class _Dropped:
    """A value with nothing Terraform would show: unknown during preview, or a secret."""


_DROPPED = _Dropped()


def to_terraform_plan(graph: ResourceGraph) -> TerraformPlan:
    providers = _provider_keys(graph)
    addresses = _addresses(graph)
    default_tags = {urn: _default_tags(graph.get(urn)) for urn in providers}
    planned: list[dict[str, Any]] = []
    configured: list[dict[str, Any]] = []
    for resource in graph.custom_resources():
        address = addresses.get(resource.urn)
        if address is None:
            continue
        tf_type, name = address.split(".", 1)
        links = {
            key: [
                _Link(addresses[urn], linked.state)
                for urn in urns
                if urn in addresses and (linked := graph.get(urn)) is not None
            ]
            for key, urns in resource.property_dependencies.items()
        }
        shape = resource_shape(resource.type)
        values, expressions = _Converter(tf_type, links).block(resource.inputs, shape)
        provider = provider_urn(resource.provider) if resource.provider else None
        _add_tags_all(values, resource, shape, default_tags.get(provider or "", {}))
        common = {"address": address, "mode": "managed", "type": tf_type, "name": name}
        planned.append(
            {
                **common,
                "provider_name": PROVIDER_SOURCE,
                "schema_version": 0,
                "values": values,
                "sensitive_values": {},
            }
        )
        configured.append(
            {
                **common,
                "provider_config_key": providers.get(provider or "", AWS_PACKAGE),
                "expressions": expressions,
                "schema_version": 0,
            }
        )
    by_address = {address: graph.get(urn) for urn, address in addresses.items()}
    by_address.update({_provider_address(key): graph.get(urn) for urn, key in providers.items()})
    document = {
        "format_version": "1.2",
        "terraform_version": TERRAFORM_VERSION,
        "planned_values": {"root_module": {"resources": planned}},
        "configuration": {
            "provider_config": {
                key: _provider_config(key, graph.get(urn)) for urn, key in providers.items()
            },
            "root_module": {"resources": configured},
        },
    }
    return TerraformPlan(
        document=document,
        resources={address: r for address, r in by_address.items() if r is not None},
        skipped=tuple(r for r in graph.custom_resources() if r.urn not in addresses),
    )


def _addresses(graph: ResourceGraph) -> dict[str, str]:
    """URN -> Terraform address, names made valid Terraform identifiers and unique per type."""
    taken: set[str] = set()
    addresses: dict[str, str] = {}
    for resource in graph.custom_resources():
        if not is_aws(resource.type):
            continue
        tf_type = terraform_type(resource.type)
        base = _identifier(resource.name)
        address, suffix = f"{tf_type}.{base}", 1
        while address in taken:
            suffix += 1
            address = f"{tf_type}.{base}_{suffix}"
        taken.add(address)
        addresses[resource.urn] = address
    return addresses


def _identifier(name: str) -> str:
    identifier = _INVALID_NAME_CHARACTERS.sub("_", name).strip("_") or "resource"
    return identifier if identifier[0].isalpha() or identifier[0] == "_" else f"r_{identifier}"


def _provider_keys(graph: ResourceGraph) -> dict[str, str]:
    """Provider URN -> Terraform provider config key: `aws` for the first default provider,
    `aws.<name>` for each other one."""
    keys: dict[str, str] = {}
    for resource in graph.resources:
        if resource.type != AWS_PROVIDER_TYPE:
            continue
        is_default = resource.name.startswith("default") and AWS_PACKAGE not in keys.values()
        alias = f"{AWS_PACKAGE}.{_identifier(resource.name)}"
        keys[resource.urn] = AWS_PACKAGE if is_default else alias
    return keys


def _provider_address(key: str) -> str:
    """The address checkov gives a provider's results: `aws.default`, `aws.<alias>`."""
    return key if "." in key else f"{key}.default"


def _provider_config(key: str, provider: GraphResource | None) -> dict[str, Any]:
    config: dict[str, Any] = {"name": AWS_PACKAGE, "full_name": PROVIDER_SOURCE}
    if "." in key:
        config["alias"] = key.split(".", 1)[1]
    inputs = provider.inputs if provider else {}
    config["expressions"] = {
        snake_case(name): {"constant_value": value}
        for name, value in inputs.items()
        if not name.startswith("__")
        and name != "version"
        and isinstance(value, str | int | float | bool)
        and not is_unknown(value)
        and not _is_json_block(value)
    }
    return config


def _is_json_block(value: object) -> bool:
    """Provider inputs hold nested settings (defaultTags, assumeRole, endpoints) as JSON text;
    Terraform shows them as blocks, and default tags reach checkov through `tags_all`."""
    return isinstance(value, str) and value.startswith(("{", "["))


def _default_tags(provider: GraphResource | None) -> dict[str, str]:
    """The provider's `defaultTags.tags` (a JSON string in provider inputs, or an object)."""
    raw = provider.inputs.get("defaultTags") if provider else None
    if isinstance(raw, str) and not is_unknown(raw):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError:
            return {}
    tags = raw.get("tags") if isinstance(raw, Mapping) else None
    if not isinstance(tags, Mapping):
        return {}
    return {str(k): v for k, v in tags.items() if isinstance(v, str) and not is_unknown(v)}


def _add_tags_all(
    values: dict[str, Any],
    resource: GraphResource,
    shape: Shape | None,
    default_tags: Mapping[str, str],
) -> None:
    """Terraform shows a taggable resource's effective tags, provider defaults included."""
    taggable = "tags" in resource.inputs or (shape is not None and shape.field("tags") is not None)
    if not taggable:
        return
    tags = values.get("tags")
    merged = {**default_tags, **(tags if isinstance(tags, Mapping) else {})}
    if merged:
        values["tags_all"] = merged


class _Converter:
    """Converts one resource's inputs; `links` are its property dependencies, by input name."""

    def __init__(self, tf_type: str, links: Mapping[str, Sequence[_Link]]) -> None:
        self.tf_type = tf_type
        self.links = links

    def block(
        self,
        value: Mapping[str, Any],
        shape: Shape | None,
        links: Sequence[_Link] | None = None,
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """A block's values and its expressions (references); `links` are inherited by nested
        blocks from the top-level input they sit in."""
        values: dict[str, Any] = {}
        expressions: dict[str, Any] = {}
        for key, item in value.items():
            if key.startswith("__"):
                continue
            field = (shape.field(key) if shape else None) or _guess_field(key, item)
            name = terraform_attribute(
                self.tf_type, key, top_level=links is None, blocks=field.kind is Kind.BLOCKS
            )
            item_links = self.links.get(key, ()) if links is None else links
            converted, expression = self._convert(name, item, field, item_links)
            if not isinstance(converted, _Dropped):
                values[name] = converted
            if expression:
                expressions[name] = expression
        return values, expressions

    def _convert(
        self, name: str, value: Any, field: Field, links: Sequence[_Link]
    ) -> tuple[Any, Any]:
        if _is_dropped(value):
            return _DROPPED, self._references(name, value, links)
        if field.kind is Kind.BLOCK and isinstance(value, Mapping):
            nested_values, nested_expressions = self.block(value, field.shape, links)
            return [nested_values], [nested_expressions] if nested_expressions else None
        if field.kind is Kind.BLOCKS and isinstance(value, list):
            pairs = [
                self.block(item, field.shape, links) for item in value if isinstance(item, Mapping)
            ]
            nested = [expressions for _, expressions in pairs]
            return [values for values, _ in pairs], nested if any(nested) else None
        if field.kind is Kind.MAP and isinstance(value, Mapping):
            kept = {k: v for k, v in value.items() if not _contains_dropped(v)}
            linked = len(kept) < len(value) or _linked(value.values(), links)
            return kept, self._references(name, value, links) if linked else None
        return self._value(name, value, field, links)

    def _value(
        self, name: str, value: Any, field: Field, links: Sequence[_Link]
    ) -> tuple[Any, Any]:
        if _contains_dropped(value) or _linked(
            value if isinstance(value, list) else [value], links
        ):
            return _DROPPED, self._references(name, value, links)
        if isinstance(value, Mapping | list) and field.kind is Kind.VALUE:
            return json.dumps(value, sort_keys=True), None
        return value, None

    def _references(self, name: str, value: Any, links: Sequence[_Link]) -> dict[str, Any] | None:
        if not links:
            return None
        matching = [link for link in links if _matched_output(link, value)] or list(links)
        references: list[str] = []
        for link in matching:
            guessed = "arn" if _ARN_SUFFIX.search(name) else "id"
            attribute = _matched_output(link, value) or guessed
            references.extend(link.references(attribute))
        return {"references": references}


def _guess_field(key: str, value: Any) -> Field:
    """The shape of an input the SDK does not describe: objects are blocks, except tags."""
    if isinstance(value, Mapping) and not _is_dropped(value):
        return Field(Kind.MAP if key == "tags" else Kind.BLOCK)
    if isinstance(value, list) and any(isinstance(item, Mapping) for item in value):
        return Field(Kind.BLOCKS)
    return Field(Kind.VALUES if isinstance(value, list) else Kind.VALUE)


def _is_dropped(value: Any) -> bool:
    return is_unknown(value) or is_secret(value)


def _contains_dropped(value: Any) -> bool:
    if _is_dropped(value):
        return True
    if isinstance(value, Mapping):
        return any(_contains_dropped(v) for v in value.values())
    if isinstance(value, list):
        return any(_contains_dropped(v) for v in value)
    return False


def _linked(values: Iterable[Any], links: Sequence[_Link]) -> bool:
    """Whether a known value is one of the linked resource's values (passed through or output)."""
    return any(_matched_output(link, value) for link in links for value in values)


def _matched_output(link: _Link, value: Any) -> str | None:
    if not isinstance(value, str) or not value or is_unknown(value):
        return None
    for key, known in link.state.items():
        if known == value:
            return snake_case(key)
    return None
