"""The coverage catalogue (`coverage.yaml` next to this module): every concern the PCI DSS
references check on the kinds we deploy, the requirements it serves and the engine that owns it.

An owner is a pack policy or a mapped checkov check; a concern no engine owns says why it is not
adopted. What the catalogue claims is checked against what the engines really run by the tests
(every pack policy and mapped checkov check is named, and nothing else).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

from compliance.model.errors import UserError
from compliance.model.files import read_yaml

CATALOGUE_FILE = Path(str(resources.files("compliance.model").joinpath("coverage.yaml")))
SCHEMA_FILE = "coverage.schema.json"
REFERENCES: Mapping[str, str] = {
    "aws-config": "AWS Config",
    "prowler": "Prowler",
    "powerpipe": "Powerpipe",
    "pulumi-oss": "Pulumi OSS",
    "pulumi-cloud": "Pulumi Cloud",
}


class CatalogueError(UserError):
    """The coverage catalogue breaks one of its rules."""


class Engine(StrEnum):
    POLICY = "policy"
    CHECKOV = "checkov"


@dataclass(frozen=True)
class Owner:
    engine: Engine
    name: str


@dataclass(frozen=True)
class Concern:
    id: str
    concern: str
    requirements: tuple[str, ...]
    """PCI DSS v4.0.1 requirement ids, in the standard's order."""
    references: Mapping[str, tuple[str, ...]]
    """Each reference's checks of this concern, by reference key (`REFERENCES`)."""
    owners: tuple[Owner, ...]
    not_adopted: str | None
    rationale: str | None

    def owned_by(self, engine: Engine) -> tuple[str, ...]:
        return tuple(owner.name for owner in self.owners if owner.engine is engine)


NOT_ADOPTED = "not-adopted"


def concerns_by_engine(concerns: Sequence[Concern]) -> dict[str, int]:
    """Concerns each engine owns (a concern two engines own counts for both), and those not
    adopted."""
    counts = {engine.value: 0 for engine in Engine} | {NOT_ADOPTED: 0}
    for concern in concerns:
        for engine in {owner.engine for owner in concern.owners}:
            counts[engine.value] += 1
        if concern.not_adopted is not None:
            counts[NOT_ADOPTED] += 1
    return counts


def requirement_order(requirement: str) -> tuple[bool, tuple[int, ...]]:
    """The standard's order: 1.4.4 before 10.2.1, the appendices (A1.1.2) last."""
    return requirement.startswith("A"), tuple(int(p) for p in requirement.lstrip("A").split("."))


def load_catalogue(path: Path = CATALOGUE_FILE) -> tuple[Concern, ...]:
    document = read_yaml(path, CatalogueError)
    validator = jsonschema.Draft202012Validator(_schema())
    error = jsonschema.exceptions.best_match(validator.iter_errors(document))
    if error is not None:
        where = ".".join(["$", *(str(step) for step in error.absolute_path)])
        raise CatalogueError(f"{path}: {where}: {error.message} (rule: {error.validator})")
    concerns = tuple(_concern(raw) for raw in document["concerns"])
    seen: set[str] = set()
    for index, concern in enumerate(concerns):
        if concern.id in seen:
            raise CatalogueError(f"{path}: $.concerns.{index}.id: {concern.id!r} is used twice")
        seen.add(concern.id)
    return concerns


@functools.cache
def _schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(
        resources.files("compliance.model").joinpath(SCHEMA_FILE).read_text()
    )
    return schema


def _concern(raw: Mapping[str, Any]) -> Concern:
    return Concern(
        id=raw["id"],
        concern=raw["concern"],
        requirements=tuple(sorted(raw["requirements"], key=requirement_order)),
        references={key: tuple(raw["references"][key]) for key in raw.get("references", {})},
        owners=tuple(
            Owner(Engine(engine), name)
            for owner in raw.get("covered-by", ())
            for engine, name in owner.items()
        ),
        not_adopted=raw.get("not-adopted"),
        rationale=raw.get("rationale"),
    )
