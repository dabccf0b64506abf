"""The shape of a pulumi-aws resource's inputs, read from the installed pulumi-aws SDK.

A Pulumi input object is either a nested block (an `...Args` input type: Terraform shows it as a
list of objects) or a map (`Mapping[str, str]`: tags, environment variables, dimensions, whose keys
are data and must not be renamed). The SDK's input types carry exactly that knowledge, so it is read
from them (through `compliance.model.pulumi_internals`, the SDK's own machinery for deserializing)
rather than written down again here.
"""

from __future__ import annotations

import collections.abc
import enum
import functools
import typing
from dataclasses import dataclass

from compliance.model.aws_sdk import sdk_class
from compliance.model.pulumi_internals import input_type_fields, is_input_type, unwrap_input

_SEQUENCES = frozenset({list, collections.abc.Sequence, typing.Sequence, typing.List})  # noqa: UP006
_MAPPINGS = frozenset({dict, collections.abc.Mapping, typing.Mapping, typing.Dict})  # noqa: UP006


class Kind(enum.Enum):
    VALUE = "value"
    VALUES = "values"
    MAP = "map"
    BLOCK = "block"
    BLOCKS = "blocks"


@dataclass(frozen=True)
class Field:
    kind: Kind
    shape: Shape | None = None
    """The nested shape of a block (or of each block in a list)."""


@dataclass(frozen=True)
class Shape:
    """The fields of one input type, by Pulumi (camelCase) name."""

    input_type: type

    def field(self, name: str) -> Field | None:
        return _fields(self.input_type).get(name)


def resource_shape(token: str) -> Shape | None:
    """The shape of a pulumi-aws resource's inputs, or None when the SDK does not know the type."""
    args_type = sdk_class(token, "Args")
    return Shape(args_type) if args_type is not None else None


@functools.cache
def _fields(input_type: type) -> dict[str, Field]:
    return {
        name: _classify(annotation) for name, annotation in input_type_fields(input_type).items()
    }


def _classify(annotation: typing.Any) -> Field:
    origin = typing.get_origin(annotation)
    if origin in _MAPPINGS:
        return Field(Kind.MAP)
    if origin in _SEQUENCES:
        element = unwrap_input(typing.get_args(annotation)[0])
        if is_input_type(element):
            return Field(Kind.BLOCKS, Shape(element))
        return Field(Kind.VALUES)
    if is_input_type(annotation):
        return Field(Kind.BLOCK, Shape(annotation))
    return Field(Kind.VALUE)
