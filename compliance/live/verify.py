"""Verify a deployed stack live: every live check on every resource of its export, concurrently,
as findings of source `live` under the pack's controls, plus drift from what the export recorded.

A check that cannot get its answer ends as NOT_RUN with the reason (access denied, the endpoint
failed or lacks the API, throttled beyond the retries) or, when the resource is gone, as FAIL;
never as PASS.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from compliance.live import access, compute, keys, storage, trail  # noqa: F401  (registers the checks)
from compliance.live.account import Identity, LiveAccount, LiveCallError, Problem
from compliance.live.registry import (
    NOT_DECLARED,
    Context,
    LiveCheck,
    Verdict,
    checks_for,
    shown,
)
from compliance.model.errors import UserError
from compliance.model.findings import (
    Enforcement,
    Finding,
    Outcome,
    ResourceRef,
    Severity,
    Source,
    resource_ref,
)
from compliance.model.graph import STACK_TYPE, GraphResource, ResourceGraph, is_secret, is_unknown
from compliance.model.pack import DEFAULT_SEVERITY, PackInfo, PolicyInfo
from compliance.model.tokens import v7_token
from compliance.preview.policy_config import PolicyConfigEntry

DRIFT_RULE = "drift"
DEFAULT_CONCURRENCY = 8


class VerifyInputError(UserError):
    """The export, the outputs file or the account do not belong together."""


@dataclass(frozen=True)
class LiveRun:
    findings: tuple[Finding, ...]
    identity: Identity
    region: str
    endpoint: str | None
    verified_at: datetime
    checks: int
    """(check, resource) pairs run, each one or a few read-only calls."""


def stack_region(graph: ResourceGraph) -> str:
    """The region of the stack's default AWS provider, as the export records it."""
    regions = {
        str(resource.state.get("region"))
        for resource in graph
        if resource.type == "pulumi:providers:aws" and resource.state.get("region")
    }
    if len(regions) != 1:
        raise VerifyInputError(
            f"the stack export names {len(regions)} AWS provider regions "
            f"({', '.join(sorted(regions)) or 'none'}): verify needs exactly one; pass --region"
        )
    return regions.pop()


def check_outputs(graph: ResourceGraph, outputs: Mapping[str, Any], source: str) -> None:
    """`outputs` (`pulumi stack output --json`) must be this stack's: the export's stack
    resource records the same outputs."""
    stack = next((r for r in graph if r.type == STACK_TYPE), None)
    recorded = dict(stack.outputs) if stack else {}
    differing = sorted(
        key
        for key in set(outputs) | set(recorded)
        if not is_secret(recorded.get(key)) and outputs.get(key) != recorded.get(key)
    )
    if differing:
        raise VerifyInputError(
            f"{source}: not the outputs of stack {graph.project}/{graph.stack} as its export "
            f"records them (differing: {', '.join(differing[:5])})"
        )


def check_account(graph: ResourceGraph, identity: Identity) -> None:
    """Every ARN the export records is in the credentials' account: otherwise the credentials
    are for another deployment."""
    foreign = sorted(
        {
            arn.split(":")[4]
            for resource in graph
            for arn in [resource.state.get("arn")]
            if isinstance(arn, str) and arn.count(":") >= 5 and arn.split(":")[4]
        }
        - {identity.account}
    )
    if foreign:
        raise VerifyInputError(
            f"the stack export's resources are in account {', '.join(foreign)}, the credentials "
            f"({identity.arn}) in {identity.account}: verify with the stack's account"
        )


def stack_keys(graph: ResourceGraph) -> frozenset[str]:
    names: set[str] = set()
    for resource in graph:
        token = v7_token(resource.type)
        if token == "aws:kms/key:Key":
            names.update(str(v) for v in (resource.id, resource.state.get("arn")) if v)
        elif token == "aws:kms/alias:Alias":
            names.update(
                str(v) for v in (resource.state.get("name"), resource.state.get("arn")) if v
            )
    return frozenset(names)


def verify(
    graph: ResourceGraph,
    account: LiveAccount,
    pack: PackInfo,
    config: Mapping[str, PolicyConfigEntry],
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> LiveRun:
    identity = account.identity()
    check_account(graph, identity)
    context = Context(
        account=account,
        graph=graph,
        properties={name: entry.properties for name, entry in config.items()},
        stack_keys=stack_keys(graph),
    )
    levels = {policy.name: _level(policy, config) for policy in pack.policies}
    jobs = [
        (live_check, resource, policy)
        for resource in graph
        if resource.custom
        for live_check in checks_for(resource)
        for policy in [pack.policy(live_check.policy)]
        if policy is not None and levels[policy.name] is not Enforcement.DISABLED
    ]
    started = datetime.now(UTC)
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="verify") as pool:
        results = list(pool.map(lambda job: _run(context, levels, *job), jobs))
    findings = [finding for found in results for finding in found]
    region_policy = pack.policy("allowed-region")
    if region_policy is not None and levels[region_policy.name] is not Enforcement.DISABLED:
        verdict = access.stack_region(context)
        findings.append(_finding(region_policy, levels[region_policy.name], None, verdict))
    return LiveRun(
        findings=tuple(sorted(findings, key=Finding.sort_key)),
        identity=identity,
        region=account.region,
        endpoint=account.endpoint,
        verified_at=started,
        checks=len(jobs),
    )


def _level(policy: PolicyInfo, config: Mapping[str, PolicyConfigEntry]) -> Enforcement:
    entry = config.get(policy.name)
    return entry.enforcement if entry and entry.enforcement else policy.enforcement


def _run(
    context: Context,
    levels: Mapping[str, Enforcement],
    live_check: LiveCheck,
    resource: GraphResource,
    policy: PolicyInfo,
) -> list[Finding]:
    try:
        verdicts = (
            list(live_check.judge(context, resource))
            if resource.id
            else [Verdict(Outcome.NOT_RUN, "not verified: the export records no id for it", "")]
        )
    except LiveCallError as error:
        outcome = Outcome.FAIL if error.problem is Problem.MISSING else Outcome.NOT_RUN
        what = "the resource is not running" if outcome is Outcome.FAIL else "not verified"
        verdicts = [Verdict(outcome, f"{what}: {error}", "")]
    ref = resource_ref(resource)
    findings = [_finding(policy, levels[policy.name], ref, v) for v in verdicts]
    findings += [
        _drift(policy, ref, v)
        for v in verdicts
        if v.declared is not NOT_DECLARED and _differs(v.declared, v.live)
    ]
    return findings


def _finding(
    policy: PolicyInfo, level: Enforcement, resource: ResourceRef | None, verdict: Verdict
) -> Finding:
    where = f"{resource.name}: " if resource else ""
    return Finding(
        source=Source.LIVE,
        rule=policy.name,
        controls=(policy.control_id,),
        severity=policy.severity or DEFAULT_SEVERITY,
        enforcement=level,
        outcome=verdict.outcome,
        message=f"{where}{verdict.message}",
        resource=resource,
        property_path=verdict.property_path or None,
        observed=verdict.live,
        remediation=policy.remediation_steps,
        extra={"check_name": policy.description},
    )


def _differs(declared: Any, live: Any) -> bool:
    if is_unknown(declared) or is_secret(declared):
        return False
    return _canonical(declared) != _canonical(live)


def _canonical(value: Any) -> str:
    """One text for equal values however they were written: a JSON document in a string as
    the document, 1000 as 1000.0."""
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            value = json.loads(value)
    return json.dumps(_numbers(value), sort_keys=True, default=str)


def _numbers(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, dict):
        return {k: _numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_numbers(v) for v in value]
    return value


def _drift(policy: PolicyInfo, resource: ResourceRef, verdict: Verdict) -> Finding:
    return Finding(
        source=Source.LIVE,
        rule=DRIFT_RULE,
        controls=(policy.control_id,),
        severity=Severity.MEDIUM,
        enforcement=Enforcement.ADVISORY,
        outcome=Outcome.FAIL,
        message=(
            f"{resource.name}: {verdict.property_path} declared {shown(verdict.declared)}, "
            f"running {shown(verdict.live)} (checked by {policy.name})"
        ),
        resource=resource,
        property_path=f"{policy.name}:{verdict.property_path}",
        observed=verdict.live,
        remediation=(
            "Find who changed the resource outside Pulumi; then either `pulumi up` to restore "
            "what the program declares, or change the program and review the change."
        ),
        extra={
            "check_name": "A running setting differs from what the deployment recorded",
            "declared": shown(verdict.declared),
            "policy": policy.name,
        },
    )
