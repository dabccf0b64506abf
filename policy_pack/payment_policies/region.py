"""Data residency: every resource in an allowed region, and IAM roles that cannot leave it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from payment_policies.declare import (
    Config,
    Link,
    Resource,
    Stack,
    Verdicts,
    baseline,
    judge_each,
    resource_policy,
    stack_policy,
)
from payment_policies.identity import as_list, documents, some_statement_holds
from payment_policies.kinds import AWS_RESOURCES, ROLE_POLICIES, ROLES
from payment_policies.props import block, is_set, known

POLICY_OF_ROLE = Link(ROLE_POLICIES, "role", ("name", "id"))

REGION_KEY = "aws:requestedregion"
ALLOWED_REGIONS = {
    "type": "array",
    "items": {"type": "string", "pattern": "^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]+$"},
    "minItems": 1,
    "default": ["eu-west-1"],
    "description": "Regions resources may be created in.",
}


def _in_allowed_region(resource: Resource, config: Config) -> Iterator[str]:
    own = resource.props.get("region")
    if is_set(own):
        region, where = own, "region"
    elif resource.provider is not None:
        region, where = resource.provider.get("region"), "provider region"
    else:
        yield "resource names no provider, so its region cannot be verified"
        return
    if not is_set(region):
        yield f"{where} is not set, so it would come from the deploying environment"
    elif known(region, where) not in config["allowedRegions"]:
        yield f"{where} {region!r} is not in the allowed regions {config['allowedRegions']}"


allowed_region = resource_policy(
    name="allowed-region",
    description="Every AWS resource is created in an allowed region.",
    severity=Severity.HIGH,
    framework=baseline("region"),
    remediation_steps="Set the stack's aws:region to an allowed region, and no resource region.",
    enforcement=EnforcementLevel.MANDATORY,
    applies_to=AWS_RESOURCES,
    check=_in_allowed_region,
    config={"allowedRegions": ALLOWED_REGIONS},
)


def _covers_every_action(statement: dict[str, Any], global_actions: list[str]) -> bool:
    """`Action: "*"`, or a `NotAction` that spares only the global services named in config."""
    if "Action" in statement:
        return "*" in as_list(statement.get("Action"))
    spared = as_list(statement.get("NotAction"))
    allowed = {action.lower() for action in global_actions}
    return bool(spared) and all(
        isinstance(action, str) and action.lower() in allowed for action in spared
    )


def _restricts_region(
    statement: dict[str, Any], allowed: list[str], global_actions: list[str]
) -> bool:
    if statement.get("Effect") != "Deny" or "*" not in as_list(statement.get("Resource")):
        return False
    if not _covers_every_action(statement, global_actions):
        return False
    for operator in ("StringNotEquals", "StringNotEqualsIgnoreCase"):
        for key, regions in block(block(statement.get("Condition")).get(operator)).items():
            if key.lower() == REGION_KEY and set(as_list(regions)) <= set(allowed):
                return True
    return False


def _roles_region_restricted(stack: Stack, config: Config) -> Verdicts:
    allowed = config["allowedRegions"]
    global_actions = config["globalActions"]

    def restricts(statement: dict[str, Any]) -> bool:
        return _restricts_region(statement, allowed, global_actions)

    def judge(role: Resource) -> Iterator[tuple[Resource | None, str]]:
        carriers = [role, *stack.linked(role, POLICY_OF_ROLE)]
        found = [
            (carrier, where, document)
            for carrier in carriers
            for where, document in documents(carrier)
        ]
        if not some_statement_holds(found, restricts):
            yield (
                role,
                (
                    f"no policy of the role denies every action outside {allowed} through "
                    f"aws:RequestedRegion ({len(found)} policy documents seen)"
                ),
            )

    return judge_each(stack.of(ROLES), judge)


iam_region_restricted = stack_policy(
    name="iam-role-region-restricted",
    description="Every IAM role denies any aws:RequestedRegion outside the allowed regions.",
    severity=Severity.HIGH,
    framework=baseline("region"),
    remediation_steps=(
        "Add an inline policy statement {Effect: Deny, Action: *, Resource: *, Condition: "
        "{StringNotEquals: {aws:RequestedRegion: [<allowed regions>]}}} to the role (or a "
        "NotAction listing only the global services of globalActions)."
    ),
    enforcement=EnforcementLevel.MANDATORY,
    inspects=ROLES,
    configured_by=(POLICY_OF_ROLE,),
    check=_roles_region_restricted,
    config={
        "allowedRegions": ALLOWED_REGIONS,
        "globalActions": {
            "type": "array",
            "items": {"type": "string", "pattern": "^[a-z0-9-]+:\\*$"},
            "default": [],
            "description": (
                "Global services (as 'iam:*') a region deny may spare with NotAction; every "
                "other action must be denied outside the allowed regions."
            ),
        },
    },
)
