"""Data residency: every resource in an allowed region, and IAM roles that cannot leave it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from payment_policies.declare import (
    Config,
    Resource,
    Stack,
    baseline,
    resource_policy,
    stack_policy,
)
from payment_policies.identity import as_list, documents, some_statement_holds
from payment_policies.kinds import AWS_RESOURCES, ROLE_POLICIES, ROLES
from payment_policies.props import block, is_set, known

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


def _restricts_region(statement: dict[str, Any], allowed: list[str]) -> bool:
    if statement.get("Effect") != "Deny" or "*" not in as_list(statement.get("Resource")):
        return False
    for operator in ("StringNotEquals", "StringNotEqualsIgnoreCase"):
        for key, regions in block(block(statement.get("Condition")).get(operator)).items():
            if key.lower() == REGION_KEY and set(as_list(regions)) <= set(allowed):
                return True
    return False


def _roles_region_restricted(stack: Stack, config: Config) -> Iterator[tuple[Resource | None, str]]:
    allowed = config["allowedRegions"]
    for role in stack.of(ROLES):
        carriers = [role, *stack.linked(role, ROLE_POLICIES, "role", ("name", "id"))]
        found = [
            (carrier, where, document)
            for carrier in carriers
            for where, document in documents(carrier)
        ]
        if some_statement_holds(found, lambda statement: _restricts_region(statement, allowed)):
            continue
        yield (
            role,
            (
                f"no policy of the role denies actions outside {allowed} through "
                f"aws:RequestedRegion ({len(found)} policy documents seen)"
            ),
        )


iam_region_restricted = stack_policy(
    name="iam-role-region-restricted",
    description="Every IAM role denies any aws:RequestedRegion outside the allowed regions.",
    severity=Severity.HIGH,
    framework=baseline("region"),
    remediation_steps=(
        "Add an inline policy statement {Effect: Deny, Action: *, Resource: *, Condition: "
        "{StringNotEquals: {aws:RequestedRegion: [<allowed regions>]}}} to the role."
    ),
    enforcement=EnforcementLevel.MANDATORY,
    inspects=ROLES,
    check=_roles_region_restricted,
    config={"allowedRegions": ALLOWED_REGIONS},
)

POLICIES = [allowed_region, iam_region_restricted]
