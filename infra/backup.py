"""AWS Backup: a KMS-encrypted vault and a daily 03:00 UTC plan selecting every table."""

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra.iam import assume_role_policy, restrict_to_region
from infra.naming import Names

BACKUP_SERVICE_POLICIES = {
    "backups": "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup",
    "restores": "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores",
}


@dataclass(frozen=True, kw_only=True)
class BackupArgs:
    names: Names
    region: str
    account_id: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str]
    tables: Mapping[str, pulumi.Output[str]]
    """Inventory table name -> table ARN."""
    retention_days: int
    tags: Mapping[str, str]
    protect: bool


class Backup(pulumi.ComponentResource):
    """`payments:backup:Plan`: vault, plan, the role AWS Backup assumes, one selection per table."""

    vault: aws.backup.Vault
    plan: aws.backup.Plan

    def __init__(
        self, name: str, args: BackupArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("payments:backup:Plan", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.vault = aws.backup.Vault(
            f"{name}-vault",
            name=args.names.stack_scoped("backup-vault"),
            kms_key_arn=args.kms_key_arn,
            force_destroy=not args.protect,
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        # Governance mode (no changeable_for_days): recovery points cannot be deleted before
        # their retention, while the lock itself stays removable by an administrator.
        aws.backup.VaultLockConfiguration(
            f"{name}-vault-lock",
            backup_vault_name=self.vault.name,
            min_retention_days=args.retention_days,
            opts=child,
        )
        self.plan = aws.backup.Plan(
            f"{name}-plan",
            name=args.names.stack_scoped("backup-plan"),
            rules=[
                {
                    "rule_name": "daily-0300-utc",
                    "target_vault_name": self.vault.name,
                    "schedule": "cron(0 3 * * ? *)",
                    "schedule_expression_timezone": "Etc/UTC",
                    "start_window": 60,
                    "completion_window": 180,
                    "lifecycle": {"delete_after": args.retention_days},
                }
            ],
            tags=dict(args.tags),
            opts=child,
        )
        role = aws.iam.Role(
            f"{name}-role",
            name=args.names.stack_scoped("backup"),
            assume_role_policy=assume_role_policy("backup.amazonaws.com", args.account_id),
            tags=dict(args.tags),
            opts=child,
        )
        restrict_to_region(f"{name}-role", role, args.region, self)
        for purpose, policy_arn in BACKUP_SERVICE_POLICIES.items():
            aws.iam.RolePolicyAttachment(
                f"{name}-role-{purpose}",
                role=role.name,
                policy_arn=policy_arn,
                opts=child,
            )
        for table, table_arn in args.tables.items():
            aws.backup.Selection(
                f"{name}-selection-{table}",
                name=args.names.backup_selection(table),
                plan_id=self.plan.id,
                iam_role_arn=role.arn,
                resources=[table_arn],
                opts=child,
            )
        self.register_outputs({"vaultName": self.vault.name, "planId": self.plan.id})
