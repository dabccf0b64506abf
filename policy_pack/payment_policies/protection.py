"""Stateful resources cannot be deleted by a careless `pulumi up` or `destroy`, nor a table, a
protected bucket or a protected vault by one API call."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import EnforcementLevel, Severity

from payment_policies.declare import Config, NotApplicable, Resource, baseline, resource_policy
from payment_policies.kinds import FORCE_DESTROYABLE, STATEFUL, TABLES
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


def _force_destroy_off(resource: Resource, _: Config) -> Iterator[str]:
    if not resource.protect:
        raise NotApplicable(
            f"{resource.type} is not protected (stateful-resources-protected judges that)"
        )
    if is_on(resource.props, "forceDestroy"):
        yield (
            "protected resource would be deleted with everything it holds by one delete "
            "(forceDestroy: True)"
        )


force_destroy_off = resource_policy(
    name="force-destroy-off",
    description="Protected buckets and backup vaults cannot be deleted with their contents.",
    severity=Severity.HIGH,
    framework=baseline("protection"),
    remediation_steps=(
        "Set force_destroy=False on the aws.s3.Bucket or aws.backup.Vault that is protected."
    ),
    enforcement=EnforcementLevel.MANDATORY,
    applies_to=FORCE_DESTROYABLE,
    check=_force_destroy_off,
)
