"""How a policy is declared: its metadata in one block, its logic in one small function.

`resource_policy` and `stack_policy` wrap that function with the mechanics every policy shares:
type matching under v6 and v7 tokens, "not applicable" for resources it does not inspect, config
defaults taken from its schema, plain (unknown-preserving) property views, and a report instead of
a crash when a property arrives in a shape nobody expected. Each registers the policy where it is
declared: the pack serves `registered()`, and a second policy of the same name stops the pack.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, overload

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyComplianceFramework,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

from payment_policies.kinds import Kinds
from payment_policies.props import Props, is_unknown, plain_props

PCI_DSS = ("pci-dss", "4.0.1")
BASELINE = ("payments-baseline", "1.0")

Config = Mapping[str, Any]

_SHAPE_ERRORS = (TypeError, ValueError, AttributeError, KeyError, IndexError)

_REGISTERED: dict[str, Policy] = {}
_JUDGES: dict[str, tuple[Kinds, ...]] = {}


def register(policy: Policy, judges: Iterable[Kinds]) -> None:
    """Serve `policy`, which judges resources of the kinds `judges`; a name already served is a
    mistake the pack does not start with."""
    if policy.name in _REGISTERED:
        raise ValueError(f"policy {policy.name!r} is declared twice")
    _REGISTERED[policy.name] = policy
    _JUDGES[policy.name] = tuple(judges)


def registered() -> list[Policy]:
    """Every policy declared so far, in the order of declaration."""
    return list(_REGISTERED.values())


def judging(token: str) -> list[str]:
    """The policies that judge resources of type `token` for what they are (not only for tags or
    region)."""
    return [
        name
        for name, judged in _JUDGES.items()
        if any(kinds.specific and token in kinds for kinds in judged)
    ]


def pci(reference: str) -> PolicyComplianceFramework:
    return PolicyComplianceFramework(name=PCI_DSS[0], version=PCI_DSS[1], reference=reference)


def baseline(reference: str) -> PolicyComplianceFramework:
    return PolicyComplianceFramework(name=BASELINE[0], version=BASELINE[1], reference=reference)


class NotApplicable(Exception):
    """Raised by a check whose resource turns out to be outside what the policy inspects."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Resource:
    """One resource as a policy sees it: plain properties, unknowns kept as markers."""

    type: str
    urn: str
    name: str
    props: Props
    protect: bool = False
    provider: Props | None = None
    dependencies: tuple[str, ...] = ()
    property_dependencies: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def depends_through(self, prop: str, other: Resource) -> bool:
        return other.urn in self.property_dependencies.get(prop, ())


@dataclass(frozen=True)
class Link:
    """How resources of `kinds` name the resource they configure: their `prop` refers to it.

    A reference is a property dependency on the target (the usual case during preview, when ids
    and ARNs are unknown) or a known value equal to one of the target's known `keys`; where a key
    is unique only `within` a parent (a stage's name within its API), the parent must match too.
    """

    kinds: Kinds
    prop: str
    keys: tuple[str, ...]
    within: Callable[[Resource, Resource], bool] | None = None


@dataclass(frozen=True)
class Stack:
    resources: tuple[Resource, ...]

    def of(self, kinds: Kinds) -> list[Resource]:
        return [r for r in self.resources if r.type in kinds]

    def linked(self, target: Resource, link: Link) -> list[Resource]:
        """Resources of the link's kinds that refer to `target`."""
        identities = {
            value
            for key in link.keys
            if isinstance(value := target.props.get(key), str) and value and not is_unknown(value)
        }
        return [
            candidate
            for candidate in self.of(link.kinds)
            if candidate.depends_through(link.prop, target)
            or (
                _refers_to(candidate.props.get(link.prop), identities)
                and (link.within is None or link.within(candidate, target))
            )
        ]

    def unlinked(self, link: Link, targets: Iterable[Resource]) -> list[Resource]:
        """Resources of the link's kinds that refer to none of `targets`."""
        linked = {r.urn for target in targets for r in self.linked(target, link)}
        return [r for r in self.of(link.kinds) if r.urn not in linked]


def _refers_to(value: Any, identities: set[str]) -> bool:
    if isinstance(value, list):
        return any(_refers_to(item, identities) for item in value)
    return isinstance(value, str) and value in identities


Verdicts = Iterable[tuple[Resource | None, str]]


def judge_each(
    resources: Iterable[Resource], judge: Callable[[Resource], Verdicts]
) -> Iterator[tuple[Resource | None, str]]:
    """A stack check's verdicts on each resource. One whose judgement reads a value unknown during
    preview is set aside until every other is judged; then the first such unknown is raised, and
    the engine reports the policy unable to run beside the violations found."""
    unknown: UnknownValueError | None = None
    for resource in resources:
        try:
            verdicts = list(judge(resource))
        except UnknownValueError as error:
            unknown = unknown or error
            continue
        yield from verdicts
    if unknown is not None:
        raise unknown


ResourceCheck = Callable[[Resource, Config], Iterable[str]]
StackCheck = Callable[[Stack, Config], Iterable[tuple[Resource | None, str]]]
Remediation = Callable[[ResourceValidationArgs, Config], Mapping[str, Any] | None]


def resource_policy(
    *,
    name: str,
    description: str,
    severity: Severity,
    framework: PolicyComplianceFramework,
    remediation_steps: str,
    enforcement: EnforcementLevel,
    applies_to: Kinds,
    check: ResourceCheck,
    config: Mapping[str, dict[str, Any]] | None = None,
    remediate: Remediation | None = None,
) -> ResourceValidationPolicy:
    schema = _schema(config)

    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        if args.resource_type not in applies_to:
            args.not_applicable(f"{args.resource_type} is not {applies_to.label}")
            return
        resource = _resource_from_args(args)
        try:
            for message in _guarded(check, resource, _with_defaults(schema, args.get_config())):
                report(message, None)
        except NotApplicable as verdict:
            args.not_applicable(verdict.reason)
            return

    def remediate_with_config(args: ResourceValidationArgs) -> Mapping[str, Any] | None:
        if remediate is None or args.resource_type not in applies_to:
            return None
        return remediate(args, _with_defaults(schema, args.get_config()))

    policy = ResourceValidationPolicy(
        name=name,
        description=description,
        validate=validate,
        # The SDK runs a remediation returning a plain mapping too, despite its annotation.
        remediate=remediate_with_config if remediate else None,  # type: ignore[arg-type]
        enforcement_level=enforcement,
        config_schema=schema,
        severity=severity,
        framework=framework,
        remediation_steps=remediation_steps,
    )
    register(policy, (applies_to,))
    return policy


def stack_policy(
    *,
    name: str,
    description: str,
    severity: Severity,
    framework: PolicyComplianceFramework,
    remediation_steps: str,
    enforcement: EnforcementLevel,
    inspects: Kinds,
    check: StackCheck,
    config: Mapping[str, dict[str, Any]] | None = None,
    reads: Iterable[Kinds] = (),
    configured_by: Iterable[Link] = (),
) -> StackValidationPolicy:
    """A policy over the whole stack, judging each resource of `inspects` and, through it, the
    resources of `reads` it uses (a stage's web ACL association).

    The resources of a `configured_by` link (a bucket's versioning, a vault's lock) are judged only
    through the resource they configure: one that configures none of the stack's is a violation,
    never a pass, since nothing judged it.
    """
    schema = _schema(config)
    links = tuple(configured_by)

    def validate(args: StackValidationArgs, report: ReportViolation) -> None:
        stack = Stack(tuple(_resource_from_stack(r) for r in args.resources))
        inspected = stack.of(inspects)
        strays = [(link, r) for link in links for r in stack.unlinked(link, inspected)]
        if not inspected and not strays:
            args.not_applicable(f"the stack has no {inspects.label}")
            return
        for link, stray in strays:
            report(_unjudged(stray, link, inspects), stray.urn)
        config = _with_defaults(schema, args.get_config())
        for resource, message in _guarded(check, stack, config):
            report(message, resource.urn if resource else None)

    policy = StackValidationPolicy(
        name=name,
        description=description,
        validate=validate,
        enforcement_level=enforcement,
        config_schema=schema,
        severity=severity,
        framework=framework,
        remediation_steps=remediation_steps,
    )
    register(policy, (inspects, *reads, *(link.kinds for link in links)))
    return policy


def _unjudged(stray: Resource, link: Link, inspects: Kinds) -> str:
    reference = stray.props.get(link.prop)
    if reference is None:
        named = f"no {link.prop}"
    elif is_unknown(reference):
        named = f"a {link.prop} known only after deployment"
    else:
        named = f"{link.prop} {reference!r}"
    article, _, noun = inspects.label.partition(" ")
    target = noun if article in ("a", "an") else inspects.label
    return (
        f"{link.kinds.label} with {named} configures no {target} of this stack: it is judged only "
        "through the resource it configures, so it has not been judged; declare (or import) that "
        "resource in the stack"
    )


def _schema(config: Mapping[str, dict[str, Any]] | None) -> PolicyConfigSchema | None:
    return PolicyConfigSchema(properties=dict(config)) if config else None


def _with_defaults(schema: PolicyConfigSchema | None, given: Config) -> dict[str, Any]:
    defaults = {
        key: copy.deepcopy(spec["default"])
        for key, spec in (schema.properties if schema else {}).items()
        if "default" in spec
    }
    return defaults | plain_props(given or {})


@overload
def _guarded(check: ResourceCheck, subject: Resource, config: Config) -> Iterator[str]: ...
@overload
def _guarded(
    check: StackCheck, subject: Stack, config: Config
) -> Iterator[tuple[Resource | None, str]]: ...
def _guarded(check: Any, subject: Any, config: Config) -> Iterator[Any]:
    """The check's findings; a shape it cannot read becomes one more finding, never a crash."""
    try:
        yield from check(subject, config)
    except _SHAPE_ERRORS as error:
        message = f"cannot evaluate this, a property has an unexpected shape: {error!r}"
        yield message if isinstance(subject, Resource) else (None, message)


def _resource_from_args(args: ResourceValidationArgs | PolicyResource) -> Resource:
    return Resource(
        type=args.resource_type,
        urn=args.urn,
        name=args.name,
        props=plain_props(args.props),
        protect=bool(args.opts.protect),
        provider=plain_props(args.provider.props) if args.provider else None,
    )


def _resource_from_stack(resource: PolicyResource) -> Resource:
    """As a resource policy sees it, with the links only a stack policy sees."""
    return dataclasses.replace(
        _resource_from_args(resource),
        dependencies=tuple(d.urn for d in resource.dependencies),
        property_dependencies={
            key: tuple(d.urn for d in deps) for key, deps in resource.property_dependencies.items()
        },
    )
