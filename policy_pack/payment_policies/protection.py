"""Stateful resources cannot be deleted by a careless `pulumi up` or `destroy`."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import EnforcementLevel, Severity

from payment_policies.declare import Config, Resource, baseline, resource_policy
from payment_policies.kinds import STATEFUL


def _protected(resource: Resource, _: Config) -> Iterator[str]:
    if not resource.protect:
        yield f"stateful resource {resource.type} is not protected from deletion (protect: False)"


stateful_resources_protected = resource_policy(
    name="stateful-resources-protected",
    description="KMS keys, tables, buckets and backup vaults carry the protect option.",
    severity=Severity.HIGH,
    framework=baseline("protection"),
    remediation_steps="Pass opts=pulumi.ResourceOptions(protect=True) when creating the resource.",
    enforcement=EnforcementLevel.MANDATORY,
    applies_to=STATEFUL,
    check=_protected,
)
