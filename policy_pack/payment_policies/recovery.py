"""Recovery: point-in-time recovery, every table in a backup plan, backups taken daily, kept
long enough and safe from deletion by hand."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterator
from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from payment_policies.declare import (
    Config,
    Link,
    Resource,
    Stack,
    Verdicts,
    judge_each,
    pci,
    resource_policy,
    stack_policy,
)
from payment_policies.identity import allows_action, some_statement_holds
from payment_policies.kinds import (
    BACKUP_PLANS,
    BACKUP_SELECTIONS,
    BACKUP_VAULTS,
    TABLES,
    VAULT_LOCKS,
    VAULT_POLICIES,
)
from payment_policies.props import (
    block,
    blocks,
    is_on,
    is_unknown,
    known,
    number,
    read,
    walk_strings,
)


def _point_in_time_recovery(table: Resource, _: Config) -> Iterator[str]:
    if not is_on(table.props, "pointInTimeRecovery.enabled"):
        recovery = block(table.props.get("pointInTimeRecovery"))
        yield f"table has point-in-time recovery off (pointInTimeRecovery: {recovery or None!r})"


dynamodb_pitr = resource_policy(
    name="dynamodb-pitr-enabled",
    description="DynamoDB tables have point-in-time recovery on.",
    severity=Severity.HIGH,
    framework=pci("12.10.1"),
    remediation_steps="Set point_in_time_recovery={'enabled': True} on the aws.dynamodb.Table.",
    enforcement=EnforcementLevel.MANDATORY,
    applies_to=TABLES,
    check=_point_in_time_recovery,
)


def _selected(table: Resource, selection: Resource) -> bool:
    if selection.depends_through("resources", table):
        return True
    arn = table.props.get("arn")
    patterns = [p for p in walk_strings(selection.props.get("resources")) if not is_unknown(p)]
    if isinstance(arn, str) and not is_unknown(arn):
        return any(fnmatch.fnmatchcase(arn, pattern) for pattern in patterns)
    # An ARN unknown during preview is covered only by a pattern naming every table.
    return any(pattern == "*" or pattern.endswith(":table/*") for pattern in patterns)


def _tables_backed_up(stack: Stack, _: Config) -> Iterator[tuple[Resource | None, str]]:
    selections = stack.of(BACKUP_SELECTIONS)
    for table in stack.of(TABLES):
        if not any(_selected(table, selection) for selection in selections):
            yield table, f"table is selected by no backup plan ({len(selections)} selections seen)"


dynamodb_in_backup_plan = stack_policy(
    name="dynamodb-table-in-backup-plan",
    description="Every DynamoDB table is selected by an AWS Backup plan.",
    severity=Severity.HIGH,
    framework=pci("12.10.1"),
    remediation_steps=(
        "Add the table's ARN (table.arn) to the resources of an aws.backup.Selection of the "
        "stack's backup plan."
    ),
    enforcement=EnforcementLevel.MANDATORY,
    inspects=TABLES,
    reads=(BACKUP_SELECTIONS,),
    check=_tables_backed_up,
)


def _backup_retention(plan: Resource, config: Config) -> Iterator[str]:
    minimum = config["minimumRetentionDays"]
    rules = known(plan.props.get("rules") or plan.props.get("rule"), "rules")
    for index, rule in enumerate(blocks(rules)):
        delete_after = read(rule, "lifecycle.deleteAfter")
        if delete_after is None:
            continue  # no lifecycle: recovery points are kept until deleted by hand
        days = number(delete_after)
        if days is None or days < minimum:
            yield (
                f"rules[{index}] ({rule.get('ruleName')!r}) keeps backups {delete_after!r} days, "
                f"fewer than the required {minimum}"
            )


backup_retention = resource_policy(
    name="backup-retention-minimum",
    description="Backup plan rules keep recovery points at least the configured number of days.",
    severity=Severity.MEDIUM,
    framework=pci("12.10.1"),
    remediation_steps="Raise lifecycle.delete_after of every backup plan rule to the minimum.",
    enforcement=EnforcementLevel.MANDATORY,
    applies_to=BACKUP_PLANS,
    check=_backup_retention,
    config={
        "minimumRetentionDays": {
            "type": "integer",
            "minimum": 1,
            # AWS Config's backup-plan-min-frequency-and-min-retention-check and Powerpipe's
            # pci_dss_v40 both ask for 35 days.
            "default": 35,
            "description": "Fewest days a backup plan rule may keep a recovery point.",
        }
    },
)


_CRON = re.compile(r"cron\((?P<fields>[^)]*)\)", re.IGNORECASE)
_RATE = re.compile(r"rate\((?P<count>[0-9]+) (?P<unit>minutes?|hours?|days?)\)", re.IGNORECASE)
_EVERY = ("*", "?")


def at_least_daily(schedule: str) -> bool:
    """Whether a backup rule's schedule expression runs once a day or more often."""
    if rate := _RATE.fullmatch(schedule.strip()):
        return not rate["unit"].lower().startswith("day") or int(rate["count"]) <= 1
    if cron := _CRON.fullmatch(schedule.strip()):
        fields = cron["fields"].split()
        if len(fields) != 6:
            return False
        _, _, day_of_month, month, day_of_week, _ = fields
        return day_of_month in _EVERY and month in _EVERY and day_of_week in _EVERY
    return False


def _backup_frequency(plan: Resource, _: Config) -> Iterator[str]:
    rules = known(plan.props.get("rules") or plan.props.get("rule"), "rules")
    for index, rule in enumerate(blocks(rules)):
        schedule = read(rule, "schedule")
        if not isinstance(schedule, str) or not at_least_daily(schedule):
            yield (
                f"rules[{index}] ({rule.get('ruleName')!r}) backs up less often than daily "
                f"(schedule: {schedule!r})"
            )


backup_frequency = resource_policy(
    name="backup-plan-daily",
    description="Backup plan rules run at least once a day.",
    severity=Severity.MEDIUM,
    framework=pci("12.10.1"),
    remediation_steps=(
        "Give every backup plan rule a schedule of at least daily, e.g. "
        "schedule='cron(0 3 * * ? *)'."
    ),
    enforcement=EnforcementLevel.MANDATORY,
    applies_to=BACKUP_PLANS,
    check=_backup_frequency,
)


VAULT_IDENTITY = ("name", "id")
LOCK_OF = Link(VAULT_LOCKS, "backupVaultName", VAULT_IDENTITY)
ACCESS_POLICY_OF = Link(VAULT_POLICIES, "backupVaultName", VAULT_IDENTITY)
DELETE_RECOVERY_POINT = "backup:DeleteRecoveryPoint"


def _denies_deletion(statement: dict[str, Any]) -> bool:
    """A Deny of deleting recovery points to everyone, whatever else it names."""
    return (
        statement.get("Effect") == "Deny"
        and statement.get("Principal") in ("*", {"AWS": "*"})
        and allows_action(statement, DELETE_RECOVERY_POINT)
    )


def _recovery_points_locked(stack: Stack, _: Config) -> Verdicts:
    def judge(vault: Resource) -> Iterator[tuple[Resource | None, str]]:
        if stack.linked(vault, LOCK_OF):
            return
        found = [
            (policy, "policy", policy.props.get("policy"))
            for policy in stack.linked(vault, ACCESS_POLICY_OF)
        ]
        if not some_statement_holds(found, _denies_deletion):
            yield (
                vault,
                "vault has no lock configuration and no access policy denying "
                f"{DELETE_RECOVERY_POINT} to everyone: its recovery points can be deleted by hand",
            )

    return judge_each(stack.of(BACKUP_VAULTS), judge)


backup_vault_locked = stack_policy(
    name="backup-vault-locked",
    description=(
        "Recovery points cannot be deleted by hand: every backup vault has a lock "
        "configuration, or an access policy denying backup:DeleteRecoveryPoint."
    ),
    severity=Severity.HIGH,
    framework=pci("12.10.1"),
    remediation_steps=(
        "Add an aws.backup.VaultLockConfiguration for the vault (min_retention_days at most the "
        "plan's retention), or an aws.backup.VaultPolicy with a statement denying "
        "backup:DeleteRecoveryPoint to Principal '*'."
    ),
    enforcement=EnforcementLevel.MANDATORY,
    inspects=BACKUP_VAULTS,
    configured_by=(LOCK_OF, ACCESS_POLICY_OF),
    check=_recovery_points_locked,
)
