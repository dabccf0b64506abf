"""Live checks of the data stores: S3 buckets, DynamoDB tables, AWS Backup vaults and plans."""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterator
from typing import Any

from compliance.live.registry import (
    NOT_DECLARED,
    Context,
    Verdict,
    check,
    declared_at,
    passes,
)
from compliance.model.graph import GraphResource

BUCKET = "aws:s3/bucket:Bucket"
TABLE = "aws:dynamodb/table:Table"
VAULT = "aws:backup/vault:Vault"
PLAN = "aws:backup/plan:Plan"
ENCRYPTION = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
)
DELETE_RECOVERY_POINT = "backup:DeleteRecoveryPoint"
PUBLIC_ACCESS_FLAGS = (
    ("BlockPublicAcls", "blockPublicAcls"),
    ("IgnorePublicAcls", "ignorePublicAcls"),
    ("BlockPublicPolicy", "blockPublicPolicy"),
    ("RestrictPublicBuckets", "restrictPublicBuckets"),
)


def bucket_name(resource: GraphResource) -> str:
    return str(resource.state.get("bucket") or resource.id)


def _bucket_answer(
    context: Context, bucket: GraphResource, operation: str, not_configured: str
) -> dict[str, Any] | None:
    """The bucket's answer to an S3 `Get...` call, None when S3 says it is not configured."""
    return context.account.call(
        "s3", operation, Bucket=bucket_name(bucket), absent=frozenset({not_configured})
    )


def _config_of(context: Context, resource: GraphResource, token: str) -> GraphResource | None:
    found = context.related(token, "bucket", bucket_name(resource))
    return found[0] if found else None


@check(BUCKET, "s3-encryption-kms-cmk")
def bucket_encrypted_with_the_stack_key(
    context: Context, bucket: GraphResource
) -> Iterator[Verdict]:
    answer = _bucket_answer(
        context, bucket, "get_bucket_encryption", "ServerSideEncryptionConfigurationNotFoundError"
    )
    declared = _config_of(
        context,
        bucket,
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    )
    rules = (answer or {}).get("ServerSideEncryptionConfiguration", {}).get("Rules", [])
    default = rules[0].get("ApplyServerSideEncryptionByDefault", {}) if rules else {}
    algorithm, key = default.get("SSEAlgorithm"), default.get("KMSMasterKeyID")
    yield passes(
        algorithm == "aws:kms" and context.is_stack_key(key),
        "ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault",
        {"SSEAlgorithm": algorithm, "KMSMasterKeyID": key},
        "default encryption is not aws:kms with the stack's key",
    )
    bucket_key = rules[0].get("BucketKeyEnabled", False) if rules else False
    yield passes(
        bucket_key is True,
        "ServerSideEncryptionConfiguration.Rules[0].BucketKeyEnabled",
        bucket_key,
        "the S3 bucket key is off",
        declared_at(declared, "rules[0].bucketKeyEnabled"),
    )


@check(BUCKET, "s3-bucket-versioning")
def bucket_versioned(context: Context, bucket: GraphResource) -> Iterator[Verdict]:
    answer = context.account.call("s3", "get_bucket_versioning", Bucket=bucket_name(bucket)) or {}
    declared = _config_of(context, bucket, "aws:s3/bucketVersioning:BucketVersioning")
    status = answer.get("Status", "Disabled")
    yield passes(
        status == "Enabled",
        "Status",
        status,
        "versioning is not enabled",
        declared_at(declared, "versioningConfiguration.status"),
    )


@check(BUCKET, "s3-bucket-public-access-block")
def bucket_blocks_public_access(context: Context, bucket: GraphResource) -> Iterator[Verdict]:
    answer = _bucket_answer(
        context, bucket, "get_public_access_block", "NoSuchPublicAccessBlockConfiguration"
    )
    flags = (answer or {}).get("PublicAccessBlockConfiguration", {})
    declared = _config_of(context, bucket, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    for live_name, declared_name in PUBLIC_ACCESS_FLAGS:
        value = flags.get(live_name, False)
        yield passes(
            value is True,
            f"PublicAccessBlockConfiguration.{live_name}",
            value,
            f"{live_name} is off",
            declared_at(declared, declared_name),
        )


@check(BUCKET, "s3-bucket-denies-insecure-transport")
def bucket_denies_plain_http(context: Context, bucket: GraphResource) -> Iterator[Verdict]:
    answer = _bucket_answer(context, bucket, "get_bucket_policy", "NoSuchBucketPolicy")
    statements = _statements(json.loads(answer["Policy"]) if answer else {})
    yield passes(
        any(_denies_insecure_transport(statement) for statement in statements),
        "Policy",
        "no bucket policy" if answer is None else f"{len(statements)} statement(s)",
        "no statement denies every request made without TLS (aws:SecureTransport false)",
    )


def _denies_insecure_transport(statement: dict[str, Any]) -> bool:
    actions = statement.get("Action", [])
    actions = actions if isinstance(actions, list) else [actions]
    principal = statement.get("Principal")
    everyone = principal == "*" or (isinstance(principal, dict) and principal.get("AWS") == "*")
    condition = statement.get("Condition", {}).get("Bool", {})
    insecure = str(condition.get("aws:SecureTransport", "")).lower() == "false"
    return (
        statement.get("Effect") == "Deny"
        and everyone
        and any(action in ("*", "s3:*") for action in actions)
        and insecure
    )


@check(TABLE, "dynamodb-pitr-enabled")
def table_recovers_to_a_point_in_time(context: Context, table: GraphResource) -> Iterator[Verdict]:
    answer = context.account.call("dynamodb", "describe_continuous_backups", TableName=table.id)
    description = (answer or {}).get("ContinuousBackupsDescription", {})
    status = description.get("PointInTimeRecoveryDescription", {}).get(
        "PointInTimeRecoveryStatus", "DISABLED"
    )
    yield passes(
        status == "ENABLED",
        "PointInTimeRecoveryDescription.PointInTimeRecoveryStatus",
        status,
        "point-in-time recovery is off",
        _as_status(declared_at(table, "pointInTimeRecovery.enabled")),
    )


def _as_status(declared: Any) -> Any:
    """The export's boolean as the status DynamoDB answers."""
    return declared if declared is NOT_DECLARED else ("ENABLED" if declared else "DISABLED")


@check(TABLE, "dynamodb-table-encrypted-with-cmk")
def table_encrypted_with_the_stack_key(context: Context, table: GraphResource) -> Iterator[Verdict]:
    answer = context.shared("dynamodb", "describe_table", TableName=table.id)
    sse = answer.get("Table", {}).get("SSEDescription", {})
    key = sse.get("KMSMasterKeyArn")
    enabled = sse.get("Status") == "ENABLED" and sse.get("SSEType") == "KMS"
    yield passes(
        enabled and context.is_stack_key(key),
        "SSEDescription.KMSMasterKeyArn",
        key,
        f"the table is not encrypted with the stack's key (SSE {sse.get('Status', 'off')}, "
        f"{sse.get('SSEType', 'AWS owned key')})",
        declared_at(table, "serverSideEncryption.kmsKeyArn"),
    )


@check(TABLE, "dynamodb-table-in-backup-plan")
def table_selected_by_a_backup_plan(context: Context, table: GraphResource) -> Iterator[Verdict]:
    arn = table.state.get("arn")
    covered: list[str] = []
    plans = [p for p in context.graph if p.type == PLAN and p.id]
    for plan in plans:
        selections = context.account.pages(
            "backup", "list_backup_selections", "BackupSelectionsList", BackupPlanId=plan.id
        )
        for listed in selections:
            answer = context.account.call(
                "backup",
                "get_backup_selection",
                BackupPlanId=plan.id,
                SelectionId=listed["SelectionId"],
            )
            resources = (answer or {}).get("BackupSelection", {}).get("Resources", [])
            if arn in resources or "*" in resources:
                covered.append(str(listed.get("SelectionName", listed["SelectionId"])))
    yield passes(
        bool(covered),
        "BackupSelection.Resources",
        covered,
        f"no selection of the stack's {len(plans)} backup plan(s) covers the table",
    )


def _vault_name(vault: GraphResource) -> str:
    return str(vault.state.get("name") or vault.id)


@check(VAULT, "backup-vault-encrypted-with-cmk")
def vault_encrypted_with_the_stack_key(context: Context, vault: GraphResource) -> Iterator[Verdict]:
    answer = context.shared("backup", "describe_backup_vault", BackupVaultName=_vault_name(vault))
    key = answer.get("EncryptionKeyArn")
    yield passes(
        context.is_stack_key(key),
        "EncryptionKeyArn",
        key,
        "the vault is not encrypted with the stack's key",
        declared_at(vault, "kmsKeyArn"),
    )


@check(PLAN, "backup-retention-minimum")
def plan_keeps_recovery_points_long_enough(
    context: Context, plan: GraphResource
) -> Iterator[Verdict]:
    minimum = int(context.config("backup-retention-minimum").get("minimumRetentionDays", 0))
    answer = context.account.call("backup", "get_backup_plan", BackupPlanId=plan.id) or {}
    rules = answer.get("BackupPlan", {}).get("Rules", [])
    if not rules:
        yield passes(False, "BackupPlan.Rules", [], "the plan has no rules")
    for index, rule in enumerate(rules):
        days = rule.get("Lifecycle", {}).get("DeleteAfterDays")
        yield passes(
            days is None or days >= minimum,
            f"BackupPlan.Rules[{index}].Lifecycle.DeleteAfterDays",
            days,
            f"recovery points are deleted before {minimum} days",
            declared_at(plan, f"rules[{index}].lifecycle.deleteAfter"),
        )


@check(BUCKET, "s3-bucket-acls-disabled")
def bucket_owner_enforced(context: Context, bucket: GraphResource) -> Iterator[Verdict]:
    answer = _bucket_answer(
        context, bucket, "get_bucket_ownership_controls", "OwnershipControlsNotFoundError"
    )
    rules = (answer or {}).get("OwnershipControls", {}).get("Rules", [])
    ownership = rules[0].get("ObjectOwnership") if rules else None
    yield passes(
        ownership == "BucketOwnerEnforced",
        "OwnershipControls.Rules[0].ObjectOwnership",
        ownership,
        "ACLs are not disabled",
    )


@check(BUCKET, "s3-bucket-lifecycle")
def bucket_lifecycle_configured(context: Context, bucket: GraphResource) -> Iterator[Verdict]:
    answer = _bucket_answer(
        context, bucket, "get_bucket_lifecycle_configuration", "NoSuchLifecycleConfiguration"
    )
    enabled = [
        r.get("ID", "") for r in (answer or {}).get("Rules", []) if r.get("Status") == "Enabled"
    ]
    yield passes(bool(enabled), "Rules[Status=Enabled]", enabled, "no enabled lifecycle rule")


@check(TABLE, "dynamodb-deletion-protection")
def table_protected_from_deletion(context: Context, table: GraphResource) -> Iterator[Verdict]:
    answer = context.shared("dynamodb", "describe_table", TableName=table.id)
    protected = answer.get("Table", {}).get("DeletionProtectionEnabled", False)
    yield passes(
        protected is True,
        "DeletionProtectionEnabled",
        protected,
        "the table can be deleted",
        declared_at(table, "deletionProtectionEnabled"),
    )


@check(VAULT, "backup-vault-locked")
def vault_recovery_points_locked(context: Context, vault: GraphResource) -> Iterator[Verdict]:
    name = _vault_name(vault)
    answer = context.shared("backup", "describe_backup_vault", BackupVaultName=name)
    if answer.get("Locked") is True:
        running = {"Locked": True, "MinRetentionDays": answer.get("MinRetentionDays")}
        yield passes(True, "Locked", running, "")
        return
    policy = context.account.call(
        "backup",
        "get_backup_vault_access_policy",
        BackupVaultName=name,
        absent=frozenset({"ResourceNotFoundException"}),
    )
    statements = _statements(json.loads(policy["Policy"]) if policy else {})
    yield passes(
        any(_denies_deletion(statement) for statement in statements),
        "Locked",
        {"Locked": False, "AccessPolicy": f"{len(statements)} statement(s)" if policy else None},
        "the vault has no lock and no access policy denying backup:DeleteRecoveryPoint to "
        "everyone: its recovery points can be deleted by hand",
    )


def _statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    statements = document.get("Statement", [])
    return statements if isinstance(statements, list) else [statements]


def _denies_deletion(statement: dict[str, Any]) -> bool:
    actions = statement.get("Action", [])
    actions = actions if isinstance(actions, list) else [actions]
    return (
        statement.get("Effect") == "Deny"
        and statement.get("Principal") in ("*", {"AWS": "*"})
        and not statement.get("Condition")
        and any(fnmatch.fnmatchcase(DELETE_RECOVERY_POINT, action) for action in actions)
    )
