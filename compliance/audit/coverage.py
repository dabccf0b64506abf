"""The report's coverage: each catalogue concern with the verdict of the rules that own it, and
each PCI DSS requirement the catalogue names, covered by an automated check or only by concerns
that are not adopted (which need other evidence)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from compliance.audit.status import ControlStatus, status_of
from compliance.model.coverage import Concern, Engine, concerns_by_engine, requirement_order
from compliance.model.findings import Outcome, Source

SOURCES = {Engine.POLICY: Source.CROSSGUARD, Engine.CHECKOV: Source.CHECKOV}


@dataclass(frozen=True)
class ConcernResult:
    concern: Concern
    status: ControlStatus | None
    """The worst verdict of its owning rules in this run; None when the concern is not adopted."""
    rules: tuple[str, ...]
    """`<engine>/<rule>` of the owners that ran in this run."""
    missing: tuple[str, ...]
    """`<engine>/<rule>` of owners that did not run (checkov skipped, a check absent from the
    installed checkov): their concern is not judged by them."""


@dataclass(frozen=True)
class RequirementCoverage:
    requirement: str
    automated: tuple[str, ...]
    """Concerns serving the requirement that an engine owns."""
    not_adopted: tuple[str, ...]
    """Concerns serving the requirement that nothing checks."""


@dataclass(frozen=True)
class Coverage:
    concerns: tuple[ConcernResult, ...]
    requirements: tuple[RequirementCoverage, ...]

    @property
    def served(self) -> tuple[RequirementCoverage, ...]:
        """Requirements an automated check serves."""
        return tuple(r for r in self.requirements if r.automated)

    @property
    def uncovered(self) -> tuple[RequirementCoverage, ...]:
        """Requirements no automated check serves."""
        return tuple(r for r in self.requirements if not r.automated)

    def by_engine(self) -> dict[str, int]:
        return concerns_by_engine([result.concern for result in self.concerns])


def build_coverage(
    catalogue: Sequence[Concern], counts: Mapping[tuple[Source, str], Mapping[str, int]]
) -> Coverage:
    """`counts`: each rule of the run, by engine and id, with its findings by outcome."""
    results = []
    serving: dict[str, tuple[list[str], list[str]]] = defaultdict(lambda: ([], []))
    for concern in catalogue:
        ran, missing, outcomes = [], [], Counter[Outcome]()
        for owner in concern.owners:
            key = (SOURCES[owner.engine], owner.name)
            label = f"{key[0].value}/{owner.name}"
            if key in counts:
                ran.append(label)
                outcomes.update({Outcome(o): n for o, n in counts[key].items() if n})
            else:
                missing.append(label)
        adopted = concern.not_adopted is None
        results.append(
            ConcernResult(
                concern=concern,
                status=status_of(outcomes) if adopted else None,
                rules=tuple(ran),
                missing=tuple(missing),
            )
        )
        for requirement in concern.requirements:
            serving[requirement][0 if adopted else 1].append(concern.id)
    return Coverage(
        concerns=tuple(results),
        requirements=tuple(
            RequirementCoverage(
                requirement, tuple(serving[requirement][0]), tuple(serving[requirement][1])
            )
            for requirement in sorted(serving, key=requirement_order)
        ),
    )
