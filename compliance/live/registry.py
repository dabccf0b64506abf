"""What a live check is: one pack policy judged on one kind of resource from what AWS answers.

A check is a function of the verification's `Context` and one resource of the stack export, and
yields `Verdict`s. It names the pack policy it verifies, so its findings file under that policy's
controls, severity and enforcement (from the pack's own metadata and the policy config), and it
reads the policy's config properties (bounds, allowed regions, required tags) from the same place.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from compliance.live.account import LiveAccount, LiveCallError
from compliance.model.findings import Outcome
from compliance.model.graph import GraphResource, ResourceGraph
from compliance.model.tokens import v7_token

NOT_DECLARED = object()
"""The export records no value to compare the live one with (no drift finding)."""


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    message: str
    property_path: str
    live: Any = None
    declared: Any = NOT_DECLARED
    """What the stack export recorded for the same property, to find drift."""


@dataclass(frozen=True)
class Context:
    account: LiveAccount
    graph: ResourceGraph
    properties: Mapping[str, Mapping[str, Any]]
    """Each pack policy's config properties (defaults filled in)."""
    stack_keys: frozenset[str]
    """Every way the stack's KMS keys are named: key ids, key ARNs, alias names, alias ARNs."""
    _answers: dict[tuple[str, str, str], Any] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def config(self, policy: str) -> Mapping[str, Any]:
        return self.properties.get(policy, {})

    def related(self, token: str, field_name: str, value: str) -> list[GraphResource]:
        """The stack's resources of type `token` whose `field_name` output (or input) is
        `value`: the bucket configurations of one bucket, the selections of one plan."""
        return [
            resource
            for resource in self.graph
            if v7_token(resource.type) == token and resource.state.get(field_name) == value
        ]

    def is_stack_key(self, reference: object) -> bool:
        return isinstance(reference, str) and reference in self.stack_keys

    def shared(self, service: str, operation: str, **params: Any) -> dict[str, Any]:
        """The answer to a call several checks of one resource read (a function's
        configuration, a stage, a table), made once per run; a failure is kept and raised again
        to each of them."""
        key = (service, operation, json.dumps(params, sort_keys=True))
        with self._lock:
            if key not in self._answers:
                try:
                    self._answers[key] = self.account.call(service, operation, **params) or {}
                except LiveCallError as error:
                    self._answers[key] = error
            answer = self._answers[key]
        if isinstance(answer, LiveCallError):
            raise answer
        return dict(answer)


Judge = Callable[[Context, GraphResource], Iterator[Verdict]]


@dataclass(frozen=True)
class LiveCheck:
    token: str
    """The v7 type token of the resources it judges."""
    policy: str
    """The pack policy it verifies live."""
    judge: Judge = field(compare=False)


CHECKS: list[LiveCheck] = []


def check(token: str, policy: str) -> Callable[[Judge], Judge]:
    def register(judge: Judge) -> Judge:
        CHECKS.append(LiveCheck(token, policy, judge))
        return judge

    return register


def checks_for(resource: GraphResource) -> list[LiveCheck]:
    token = v7_token(resource.type)
    return [c for c in CHECKS if c.token == token]


def passes(
    condition: bool, path: str, live: Any, why: str, declared: Any = NOT_DECLARED
) -> Verdict:
    """PASS when `condition`, FAIL saying `why` (with what is running) otherwise."""
    if condition:
        return Verdict(Outcome.PASS, f"{path}: {shown(live)}", path, live, declared)
    return Verdict(Outcome.FAIL, f"{why} (running: {path} = {shown(live)})", path, live, declared)


def shown(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= 200 else text[:199] + "…"


def declared_at(resource: GraphResource | None, path: str) -> Any:
    """The value the export recorded at a dotted `path` (`a.b[0].c`), or NOT_DECLARED."""
    if resource is None:
        return NOT_DECLARED
    value: Any = resource.state
    for part in path.replace("]", "").replace("[", ".").split("."):
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return NOT_DECLARED
    return value
