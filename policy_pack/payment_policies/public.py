"""Resource policies (bucket, key, topic, queue, backup vault) grant nothing to everyone without a
condition."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from payment_policies.declare import Config, Resource, pci, resource_policy
from payment_policies.identity import as_list, statements
from payment_policies.kinds import PUBLIC_POLICY_CARRIERS
from payment_policies.props import block


def _everyone(principal: Any) -> bool:
    if principal == "*":
        return True
    return "*" in as_list(block(principal).get("AWS")) if isinstance(principal, dict) else False


def _not_public(carrier: Resource, _: Config) -> Iterator[str]:
    for index, statement in enumerate(statements(carrier.props.get("policy"), "policy")):
        if (
            statement.get("Effect") == "Allow"
            and _everyone(statement.get("Principal"))
            and not block(statement.get("Condition"))
        ):
            actions = statement.get("Action")
            yield (
                f"policy statement {statement.get('Sid', index)!r} allows {actions!r} to every "
                "principal, anywhere, without a condition"
            )


no_public_resource_policy = resource_policy(
    name="no-public-resource-policy",
    description=(
        "Bucket, key, topic, queue and backup vault policies allow nothing to everyone "
        "unconditionally."
    ),
    severity=Severity.CRITICAL,
    framework=pci("1.4.4"),
    remediation_steps=(
        "Name the principals (accounts, roles or services) in the statement, or restrict it "
        "with a condition such as aws:SourceAccount or aws:PrincipalOrgID."
    ),
    enforcement=EnforcementLevel.MANDATORY,
    applies_to=PUBLIC_POLICY_CARRIERS,
    check=_not_public,
)
