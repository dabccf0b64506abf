"""What the installed pulumi-aws SDK declares about a resource type, read from its own classes.

For a type token `aws:<module>/<member>:<Name>` the SDK has a resource class `<Name>` in
`pulumi_aws.<module>` whose `@pulumi.getter` properties are the resource's outputs by Pulumi
name, and an `<Name>Args` class whose properties are its inputs.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Mapping
from typing import Any

from compliance.model.graph import UNKNOWN
from compliance.model.pulumi_internals import resource_output_names
from compliance.model.tokens import is_aws, v7_token

_SDK_PACKAGE = "pulumi_aws"
_PYTHON_KEYWORDS = frozenset({"lambda"})


def sdk_class(token: str, suffix: str = "") -> type | None:
    """The SDK class named for the type (`suffix` "Args" for its inputs), or None when the
    SDK does not know the type."""
    if not is_aws(token):
        return None
    _, module_member, name = v7_token(token).split(":")
    module = module_member.partition("/")[0]
    if module in _PYTHON_KEYWORDS:
        module += "_"
    try:
        found = getattr(importlib.import_module(f"{_SDK_PACKAGE}.{module}"), f"{name}{suffix}")
    except (ImportError, AttributeError):
        return None
    return found if isinstance(found, type) else None


@functools.cache
def output_names(token: str) -> frozenset[str]:
    """The Pulumi names of the type's outputs; empty when the SDK does not know the type."""
    resource_class = sdk_class(token)
    if resource_class is None:
        return frozenset()
    return resource_output_names(resource_class)


def unknown_outputs(token: str, inputs: Mapping[str, Any]) -> dict[str, str]:
    """What a first preview's create cannot know of a resource: every output its type declares
    that is not given as an input, each unknown."""
    return dict.fromkeys(sorted(output_names(token) - inputs.keys()), UNKNOWN)
