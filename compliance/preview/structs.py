"""Protobuf `Struct`s, in which the engine's gRPC protocols carry property maps, as plain JSON."""

from __future__ import annotations

from typing import Any

from google.protobuf import json_format, struct_pb2


def struct_dict(struct: struct_pb2.Struct) -> dict[str, Any]:
    """The Struct's JSON with whole numbers as integers, as a state file writes them (a Struct
    carries every number as a float)."""
    return dict(_whole_numbers(json_format.MessageToDict(struct)))


def _whole_numbers(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _whole_numbers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_whole_numbers(item) for item in value]
    return value
