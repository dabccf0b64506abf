"""Stateful resources cannot be deleted by a careless `pulumi up` or `destroy`, nor a table by
one API call."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import EnforcementLevel, Severity

from payment_policies.declare import Config, Resource, baseline, resource_policy
from payment_policies.kinds import STATEFUL, TABLES
from payment_policies.props import is_on


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


def _deletion_protected(table: Resource, _: Config) -> Iterator[str]:
    if not is_on(table.props, "deletionProtectionEnabled"):
        setting = table.props.get("deletionProtectionEnabled")
        yield f"table can be deleted by one call (deletionProtectionEnabled: {setting!r})"


dynamodb_deletion_protection = resource_policy(
    name="dynamodb-deletion-protection",
    description="DynamoDB tables have deletion protection on, whoever holds the credentials.",
    severity=Severity.HIGH,
    framework=baseline("protection"),
    remediation_steps="Set deletion_protection_enabled=True on the aws.dynamodb.Table.",
    enforcement=EnforcementLevel.MANDATORY,
    applies_to=TABLES,
    check=_deletion_protected,
)
