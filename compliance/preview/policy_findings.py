"""Drive the policy pack over a resource graph as the Pulumi engine does, and turn its answers
into findings and engine events.

The engine's order, mirrored here: `GetAnalyzerInfo`, `Configure` with the policy config, then for
every registered resource in registration order (the stack, components and providers included)
`Remediate` and `Analyze` with its inputs and its provider, and finally one `AnalyzeStack` with
every resource's state. A preview goes on with the remediated inputs (the resource is created
from them); a deployed stack's analysis reports remediations without applying them. For a
resource's `Analyze`, the engine reports every diagnostic against that resource; for
`AnalyzeStack`, against the diagnostic's resource when it is in the stack, else the root stack.
`Remediate` is skipped when no policy runs at the `remediate` level: the pack answers such a call
with nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from queue import Queue
from typing import Any

from compliance.model.aws_sdk import unknown_outputs
from compliance.model.findings import (
    Enforcement,
    Finding,
    Outcome,
    ResourceRef,
    Source,
    resource_ref,
)
from compliance.model.graph import GraphResource, ResourceGraph
from compliance.model.pack import DEFAULT_SEVERITY, PackInfo, PolicyInfo
from compliance.preview.analyzer import AnalyzeResult, Diagnostic, PolicyPackProcess, Remediation
from compliance.preview.events import (
    analyze_stack_summary_event,
    analyze_summary_event,
    policy_event,
    policy_remediation_event,
)
from compliance.preview.policy_config import PolicyConfigEntry, load_policy_config


@dataclass(frozen=True)
class PolicyRun:
    pack: PackInfo
    """The pack's info, each policy at the level the policy config gives it."""
    findings: tuple[Finding, ...]
    events: tuple[dict[str, Any], ...]

    @property
    def blocking(self) -> tuple[Finding, ...]:
        """Mandatory violations: a deployment stops on any of them."""
        return tuple(f for f in self.findings if f.blocks)


def analyze_graph(
    graph: ResourceGraph,
    pack_dir: Path,
    policy_config: Path | None,
    *,
    dry_run: bool = True,
) -> PolicyRun:
    """Run the pack over `graph`; `dry_run` says whether the graph is a preview's."""
    with PolicyPackProcess(
        pack_dir, project=graph.project, stack=graph.stack, dry_run=dry_run
    ) as pack:
        return analyze_with(pack, graph, policy_config)


def analyze_with(
    pack: PolicyPackProcess, graph: ResourceGraph, policy_config: Path | None
) -> PolicyRun:
    """`analyze_graph` with a pack process that is already running."""
    return PolicySession(pack, policy_config).finish(graph)


class PolicySession:
    """A running pack, configured: resources are analyzed as they come, then the stack.

    `analyze` may be called as each resource is registered (as the engine does during a
    preview); `finish` analyzes whatever was not, then turns the answers into findings and events
    in the graph's order, so the result does not depend on when each resource arrived.
    """

    def __init__(self, pack: PolicyPackProcess, policy_config: Path | None) -> None:
        self._pack = pack
        declared = pack.info()
        config = load_policy_config(policy_config, declared)
        pack.configure(config)
        self.info = replace(
            declared,
            policies=tuple(
                replace(p, enforcement=_effective_level(p, config)) for p in declared.policies
            ),
        )
        """The pack as configured: each policy at its effective level."""
        self._remediating = any(p.enforcement is Enforcement.REMEDIATE for p in self.info.policies)
        self._answers: dict[str, tuple[list[Remediation], AnalyzeResult]] = {}
        self._remediated: dict[str, GraphResource] = {}

    def analyze(self, resource: GraphResource, provider: GraphResource | None) -> None:
        remediations = self._pack.remediate(resource, provider) if self._remediating else []
        analyzed = _remediated(resource, remediations) if self._pack.dry_run else resource
        if analyzed is not resource:
            self._remediated[resource.urn] = analyzed
        self._answers[resource.urn] = (remediations, self._pack.analyze(analyzed, provider))

    def finish(self, graph: ResourceGraph) -> PolicyRun:
        recorder = _Recorder(self.info, graph)
        for resource in graph.resources:
            if resource.urn not in self._answers:
                self.analyze(resource, graph.provider_of(resource))
            remediations, result = self._answers[resource.urn]
            recorder.remediations(resource, remediations)
            recorder.resource_result(resource, result)
        recorder.stack_result(self._pack.analyze_stack(self._as_created(graph)))
        return PolicyRun(self.info, tuple(recorder.findings), tuple(recorder.events))

    def _as_created(self, graph: ResourceGraph) -> ResourceGraph:
        """The stack as the preview creates it: a remediated resource from its new inputs."""
        if not self._remediated:
            return graph
        created = tuple(self._remediated.get(r.urn, r) for r in graph.resources)
        return ResourceGraph(graph.project, graph.stack, created)


class BackgroundAnalysis:
    """Start the pack and analyze resources in a worker thread while the program still runs.

    The CLI starts its analyzers before the program and analyzes each registration as it
    arrives; this does the same, so the pack's start-up and its work overlap the program's.
    `submit` is safe from any thread; `session` waits for the queue and returns the session
    (or raises what stopped the worker); `close` abandons what is still queued and stops it.
    """

    def __init__(self, pack: PolicyPackProcess, policy_config: Path | None) -> None:
        self._queue: Queue[tuple[GraphResource, GraphResource | None] | None] = Queue()
        self._session: PolicySession | None = None
        self._error: BaseException | None = None
        self._abandoned = False
        self._worker = threading.Thread(
            target=self._work, args=(pack, policy_config), name="policy-pack", daemon=True
        )
        self._worker.start()

    def submit(self, resource: GraphResource, provider: GraphResource | None) -> None:
        self._queue.put((resource, provider))

    def session(self) -> PolicySession:
        self._stop()
        if self._error is not None:
            raise self._error
        assert self._session is not None
        return self._session

    def close(self) -> None:
        self._abandoned = True
        self._stop()

    def _stop(self) -> None:
        if self._worker.is_alive():
            self._queue.put(None)
            self._worker.join()

    def _work(self, pack: PolicyPackProcess, policy_config: Path | None) -> None:
        try:
            pack.start()
            session = PolicySession(pack, policy_config)
            while (item := self._queue.get()) is not None:
                if not self._abandoned:
                    session.analyze(*item)
            self._session = session
        except BaseException as error:  # handed to the caller by `session()`
            self._error = error
            while self._queue.get() is not None:
                pass


def _remediated(resource: GraphResource, remediations: Iterable[Remediation]) -> GraphResource:
    """The resource as the pack's remediations leave it (each applies to the previous result),
    with the state a preview's create gives those inputs."""
    for remediation in remediations:
        if not remediation.diagnostic and remediation.properties is not None:
            inputs = dict(remediation.properties)
            outputs = resource.outputs
            if resource.custom:
                outputs = {**inputs, **unknown_outputs(resource.type, inputs)}
            resource = replace(resource, inputs=inputs, outputs=outputs)
    return resource


def _effective_level(policy: PolicyInfo, config: Mapping[str, PolicyConfigEntry]) -> Enforcement:
    entry = config.get(policy.name)
    if entry is not None and entry.enforcement is not None:
        return entry.enforcement
    return policy.enforcement


class _Recorder:
    """Collects findings and events in the order the engine would emit them."""

    def __init__(self, pack: PackInfo, graph: ResourceGraph) -> None:
        self._pack = pack
        self._graph = graph
        self._policies = {p.name: p for p in pack.policies}
        self.findings: list[Finding] = []
        self.events: list[dict[str, Any]] = []

    def remediations(self, resource: GraphResource, remediations: Iterable[Remediation]) -> None:
        before = resource.inputs
        for remediation in remediations:
            if remediation.diagnostic:
                self.events.append(
                    self._event(
                        resource.urn,
                        remediation.policy_name,
                        remediation.diagnostic,
                        Enforcement.ADVISORY,
                    )
                )
            elif remediation.properties is not None:
                self.events.append(
                    policy_remediation_event(
                        resource.urn,
                        policy_name=remediation.policy_name,
                        pack_name=self._pack.name,
                        pack_version=self._pack.version,
                        before=before,
                        after=remediation.properties,
                    )
                )
                before = remediation.properties

    def resource_result(self, resource: GraphResource, result: AnalyzeResult) -> None:
        ref = resource_ref(resource)
        passed, failed = self._verdicts(result, "resource", ref, lambda _: (resource.urn, ref))
        self.events.append(
            analyze_summary_event(
                resource.urn,
                pack_name=self._pack.name,
                pack_version=self._pack.version,
                passed=passed,
                failed=failed,
            )
        )

    def stack_result(self, result: AnalyzeResult) -> None:
        passed, failed = self._verdicts(result, "stack", None, self._stack_target)
        self.events.append(
            analyze_stack_summary_event(
                pack_name=self._pack.name,
                pack_version=self._pack.version,
                passed=passed,
                failed=failed,
            )
        )

    def _stack_target(self, diagnostic: Diagnostic) -> tuple[str, ResourceRef | None]:
        """A stack diagnostic's event goes to its resource when in the stack, else the root."""
        resource = self._graph.get(diagnostic.urn) if diagnostic.urn else None
        target = resource or self._graph.root
        return (target.urn if target else ""), (resource_ref(resource) if resource else None)

    def _verdicts(
        self,
        result: AnalyzeResult,
        kind: str,
        ref: ResourceRef | None,
        target: Callable[[Diagnostic], tuple[str, ResourceRef | None]],
    ) -> tuple[list[str], list[str]]:
        """Record one answer's diagnostics, skips and passes; the policies passed and failed."""
        failed: set[str] = set()
        reported: set[str] = set()
        for diagnostic in result.diagnostics:
            urn, about = target(diagnostic)
            self.events.append(self._diagnostic_event(urn, diagnostic))
            self.findings.append(self._diagnostic_finding(diagnostic, about))
            reported.add(diagnostic.policy_name)
            if not diagnostic.unable_to_run:
                failed.add(diagnostic.policy_name)
        not_applicable = self._not_applicable(result, ref)
        return self._passes(kind, reported | not_applicable, ref), sorted(failed)

    def _not_applicable(self, result: AnalyzeResult, ref: ResourceRef | None) -> set[str]:
        names: set[str] = set()
        for skipped in result.not_applicable:
            policy = self._policies.get(skipped.policy_name)
            if policy is None:
                continue
            names.add(policy.name)
            self.findings.append(
                self._finding(
                    policy, Outcome.NOT_APPLICABLE, skipped.reason or "not applicable", ref
                )
            )
        return names

    def _passes(self, kind: str, reported: set[str], ref: ResourceRef | None) -> list[str]:
        passed = []
        for policy in self._pack.policies:
            disabled = policy.enforcement is Enforcement.DISABLED
            if policy.kind != kind or disabled or policy.name in reported:
                continue
            passed.append(policy.name)
            self.findings.append(self._finding(policy, Outcome.PASS, policy.description, ref))
        return passed

    def _diagnostic_finding(self, diagnostic: Diagnostic, ref: ResourceRef | None) -> Finding:
        policy = self._policies.get(diagnostic.policy_name)
        outcome = Outcome.NOT_RUN if diagnostic.unable_to_run else Outcome.FAIL
        return Finding(
            source=Source.CROSSGUARD,
            rule=diagnostic.policy_name,
            controls=(policy.control_id,) if policy and policy.framework else (),
            severity=diagnostic.severity or (policy and policy.severity) or DEFAULT_SEVERITY,
            enforcement=diagnostic.enforcement,
            outcome=outcome,
            message=diagnostic.message,
            resource=ref,
            remediation=policy.remediation_steps if policy else "",
            extra={"description": diagnostic.description},
        )

    def _finding(
        self, policy: PolicyInfo, outcome: Outcome, message: str, ref: ResourceRef | None
    ) -> Finding:
        return Finding(
            source=Source.CROSSGUARD,
            rule=policy.name,
            controls=(policy.control_id,) if policy.framework else (),
            severity=policy.severity or DEFAULT_SEVERITY,
            enforcement=policy.enforcement,
            outcome=outcome,
            message=message,
            resource=ref,
            remediation=policy.remediation_steps,
            extra={"description": policy.description},
        )

    def _diagnostic_event(self, urn: str, diagnostic: Diagnostic) -> dict[str, Any]:
        return policy_event(
            urn,
            message=diagnostic.message,
            policy_name=diagnostic.policy_name,
            pack_name=diagnostic.pack_name or self._pack.name,
            pack_version=diagnostic.pack_version or self._pack.version,
            enforcement=diagnostic.enforcement.value,
            severity=diagnostic.severity.value if diagnostic.severity else None,
        )

    def _event(
        self, urn: str, policy_name: str, message: str, enforcement: Enforcement
    ) -> dict[str, Any]:
        return policy_event(
            urn,
            message=message,
            policy_name=policy_name,
            pack_name=self._pack.name,
            pack_version=self._pack.version,
            enforcement=enforcement.value,
            severity=None,
        )
