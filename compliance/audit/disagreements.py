"""Where the two engines disagree: one passes a resource under a control, the other fails it.

Both engines file their findings under the same control ids, per resource. For each (control,
resource) that both judged, an engine's verdict is FAIL if any of its rules failed there and PASS if
its rules ran there and all passed; a disagreement is one engine's PASS against the other's FAIL.
Accepted risks, rules that could not run and rules that did not apply are not verdicts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from compliance.model.findings import Finding, Outcome, ResourceRef, Source

_VERDICTS = (Outcome.PASS, Outcome.FAIL)


@dataclass(frozen=True)
class Disagreement:
    control: str
    resource: ResourceRef
    verdicts: dict[Source, Outcome]
    detail: str


def find_disagreements(findings: Iterable[Finding]) -> tuple[Disagreement, ...]:
    judged: dict[tuple[str, ResourceRef], dict[Source, list[Finding]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for finding in findings:
        if finding.resource is None or finding.outcome not in _VERDICTS:
            continue
        for control in finding.controls:
            judged[(control, finding.resource)][finding.source].append(finding)
    disagreements = []
    for (control, resource), by_source in sorted(judged.items()):
        verdicts = {source: _verdict(found) for source, found in by_source.items()}
        failing = sorted(source for source, verdict in verdicts.items() if verdict is Outcome.FAIL)
        passing = sorted(source for source, verdict in verdicts.items() if verdict is Outcome.PASS)
        if failing and passing:
            detail = _detail(control, resource, by_source, failing, passing)
            disagreements.append(Disagreement(control, resource, verdicts, detail))
    return tuple(disagreements)


def _verdict(findings: list[Finding]) -> Outcome:
    return Outcome.FAIL if any(f.outcome is Outcome.FAIL for f in findings) else Outcome.PASS


def _detail(
    control: str,
    resource: ResourceRef,
    by_source: dict[Source, list[Finding]],
    failing: list[Source],
    passing: list[Source],
) -> str:
    def rules(source: Source, outcome: Outcome) -> str:
        return ", ".join(sorted({f.rule for f in by_source[source] if f.outcome is outcome}))

    failed = "; ".join(f"{source} fails it ({rules(source, Outcome.FAIL)})" for source in failing)
    passed = "; ".join(f"{source} passes it ({rules(source, Outcome.PASS)})" for source in passing)
    return f"{resource.name} under {control}: {failed}, while {passed}."
