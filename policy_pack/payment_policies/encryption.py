"""Encryption at rest with customer-managed KMS keys, and the keys' rotation."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from payment_policies.declare import (
    Config,
    Link,
    Resource,
    ResourceCheck,
    Stack,
    Verdicts,
    judge_each,
    pci,
    resource_policy,
    stack_policy,
)
from payment_policies.kinds import (
    BACKUP_VAULTS,
    BUCKET_ENCRYPTION,
    BUCKET_IDENTITY,
    BUCKETS,
    FUNCTIONS,
    KMS_KEYS,
    LOG_GROUPS,
    QUEUES,
    TABLES,
    TOPICS,
)
from payment_policies.props import (
    block,
    blocks,
    given,
    is_on,
    is_set,
    is_unknown,
    known,
    number,
    read,
)

KMS_ALGORITHMS = ("aws:kms", "aws:kms:dsse")


def cmk_problem(key: Any, what: str) -> str | None:
    """Why `key` is not a customer-managed key for `what`, or None when it is (or will be)."""
    if not is_set(key):
        return f"{what} names no customer-managed KMS key (seen: {key!r})"
    if isinstance(key, str) and not is_unknown(key) and "alias/aws/" in key:
        return f"{what} uses the AWS-managed key {key!r}, not a customer-managed key"
    return None


def encrypted_with_cmk(prop: str, what: str) -> ResourceCheck:
    """The check of a resource whose `prop` must name a customer-managed KMS key."""

    def check(resource: Resource, _: Config) -> Iterator[str]:
        if problem := cmk_problem(resource.props.get(prop), what):
            yield problem

    return check


def _key_rotation(key: Resource, _: Config) -> Iterator[str]:
    if not is_on(key.props, "enableKeyRotation"):
        rotation = key.props.get("enableKeyRotation")
        yield f"KMS key does not have key rotation enabled (enableKeyRotation: {rotation!r})"


kms_key_rotation = resource_policy(
    name="kms-key-rotation-enabled",
    description="KMS keys rotate their key material every year.",
    severity=Severity.HIGH,
    framework=pci("3.7.4"),
    remediation_steps="Set enable_key_rotation=True on the aws.kms.Key.",
    enforcement=EnforcementLevel.MANDATORY,
    applies_to=KMS_KEYS,
    check=_key_rotation,
)


def sse_rule_problems(rule: dict[str, Any], where: str) -> Iterator[str]:
    algorithm = read(rule, "applyServerSideEncryptionByDefault.sseAlgorithm")
    default = block(rule.get("applyServerSideEncryptionByDefault"))
    if algorithm not in KMS_ALGORITHMS:
        yield f"{where} default encryption is not aws:kms (sseAlgorithm: {algorithm!r})"
    elif problem := cmk_problem(default.get("kmsMasterKeyId"), f"{where} default encryption"):
        yield problem
    if not is_on(rule, "bucketKeyEnabled"):
        bucket_key = rule.get("bucketKeyEnabled")
        yield f"{where} does not enable the S3 bucket key (bucketKeyEnabled: {bucket_key!r})"


def _encryption_configuration(configuration: Resource, _: Config) -> Iterator[str]:
    rules = blocks(
        known(configuration.props.get("rules") or configuration.props.get("rule"), "rules")
    )
    if not rules:
        yield "encryption configuration has no rule (rules: none)"
    for index, rule in enumerate(rules):
        yield from sse_rule_problems(rule, f"rules[{index}]:")


s3_encryption_kms_cmk = resource_policy(
    name="s3-encryption-kms-cmk",
    description="S3 default encryption is aws:kms with a customer-managed key and the bucket key.",
    severity=Severity.HIGH,
    framework=pci("3.5.1"),
    remediation_steps=(
        "In aws.s3.BucketServerSideEncryptionConfiguration set sse_algorithm='aws:kms', "
        "kms_master_key_id=<the stack's CMK ARN> and bucket_key_enabled=True."
    ),
    enforcement=EnforcementLevel.MANDATORY,
    applies_to=BUCKET_ENCRYPTION,
    check=_encryption_configuration,
)


_ENCRYPTION_OF = Link(BUCKET_ENCRYPTION, "bucket", BUCKET_IDENTITY)


def _buckets_encrypted(stack: Stack, _: Config) -> Verdicts:
    def judge(bucket: Resource) -> Iterator[tuple[Resource | None, str]]:
        inline = block(given(bucket.props.get("serverSideEncryptionConfiguration")))
        if inline:
            rule = block(known(inline.get("rule"), "serverSideEncryptionConfiguration.rule"))
            for problem in sse_rule_problems(rule, "inline rule:"):
                yield bucket, problem
            return
        if not stack.linked(bucket, _ENCRYPTION_OF):
            yield bucket, "bucket has no server-side encryption configuration resource or block"

    return judge_each(stack.of(BUCKETS), judge)


s3_bucket_encrypted = stack_policy(
    name="s3-bucket-encrypted",
    description="Every S3 bucket has a default-encryption configuration.",
    severity=Severity.HIGH,
    framework=pci("3.5.1"),
    remediation_steps=(
        "Add an aws.s3.BucketServerSideEncryptionConfiguration whose bucket is the bucket's id "
        "(aws:kms, the stack's CMK, bucket key on)."
    ),
    enforcement=EnforcementLevel.MANDATORY,
    inspects=BUCKETS,
    reads=(BUCKET_ENCRYPTION,),
    check=_buckets_encrypted,
)


def _table_encrypted(table: Resource, _: Config) -> Iterator[str]:
    encryption = block(table.props.get("serverSideEncryption"))
    if not is_on(table.props, "serverSideEncryption.enabled"):
        yield f"table is not encrypted with a KMS key (serverSideEncryption: {encryption or None})"
    elif problem := cmk_problem(encryption.get("kmsKeyArn"), "table encryption"):
        yield problem


dynamodb_table_encrypted = resource_policy(
    name="dynamodb-table-encrypted-with-cmk",
    description="DynamoDB tables are encrypted with a customer-managed KMS key.",
    severity=Severity.HIGH,
    framework=pci("3.5.1"),
    remediation_steps="Set server_side_encryption={'enabled': True, 'kms_key_arn': <CMK ARN>}.",
    enforcement=EnforcementLevel.MANDATORY,
    applies_to=TABLES,
    check=_table_encrypted,
)


def _function_environment_encrypted(function: Resource, _: Config) -> Iterator[str]:
    variables = read(function.props, "environment.variables")
    if not is_set(variables):
        return
    if not is_set(function.props.get("kmsKeyArn")):
        yield "function has environment variables but no kmsKeyArn to encrypt them (kmsKeyArn: -)"


lambda_environment_encrypted = resource_policy(
    name="lambda-environment-encrypted",
    description="Lambda environment variables are encrypted with a customer-managed KMS key.",
    severity=Severity.MEDIUM,
    framework=pci("3.5.1"),
    remediation_steps="Set kms_key_arn=<CMK ARN> on every aws.lambda_.Function with environment.",
    enforcement=EnforcementLevel.MANDATORY,
    applies_to=FUNCTIONS,
    check=_function_environment_encrypted,
)


log_group_encrypted = resource_policy(
    name="cloudwatch-log-group-encrypted",
    description="CloudWatch log groups are encrypted with a customer-managed KMS key.",
    severity=Severity.MEDIUM,
    framework=pci("10.3.2"),
    remediation_steps=(
        "Set kms_key_id=<CMK ARN> on the aws.cloudwatch.LogGroup; the key policy must allow the "
        "logs.<region>.amazonaws.com principal."
    ),
    enforcement=EnforcementLevel.MANDATORY,
    applies_to=LOG_GROUPS,
    check=encrypted_with_cmk("kmsKeyId", "log group"),
)


backup_vault_encrypted = resource_policy(
    name="backup-vault-encrypted-with-cmk",
    description="Backup vaults encrypt recovery points with a customer-managed KMS key.",
    severity=Severity.HIGH,
    framework=pci("3.5.1"),
    remediation_steps="Set kms_key_arn=<CMK ARN> on the aws.backup.Vault.",
    enforcement=EnforcementLevel.MANDATORY,
    applies_to=BACKUP_VAULTS,
    check=encrypted_with_cmk("kmsKeyArn", "backup vault"),
)


sns_topic_encrypted = resource_policy(
    name="sns-topic-encrypted",
    description="SNS topics are encrypted with a customer-managed KMS key.",
    severity=Severity.MEDIUM,
    framework=pci("3.5.1"),
    remediation_steps="Set kms_master_key_id=<CMK ARN> on the aws.sns.Topic.",
    enforcement=EnforcementLevel.MANDATORY,
    applies_to=TOPICS,
    check=encrypted_with_cmk("kmsMasterKeyId", "SNS topic"),
)


def _queue_encrypted(queue: Resource, _: Config) -> Iterator[str]:
    key = queue.props.get("kmsMasterKeyId")
    if not is_set(key) and is_on(queue.props, "sqsManagedSseEnabled"):
        yield "SQS queue is encrypted with an SQS-managed key, not a customer-managed KMS key"
    elif problem := cmk_problem(key, "SQS queue"):
        yield problem


sqs_queue_encrypted = resource_policy(
    name="sqs-queue-encrypted-with-cmk",
    description="SQS queues are encrypted with a customer-managed KMS key (not SQS-managed SSE).",
    severity=Severity.MEDIUM,
    framework=pci("3.5.1"),
    remediation_steps="Set kms_master_key_id=<CMK ARN> on the aws.sqs.Queue.",
    enforcement=EnforcementLevel.MANDATORY,
    applies_to=QUEUES,
    check=_queue_encrypted,
)

# KMS waits 30 days before deleting a key unless told otherwise.
KMS_DEFAULT_DELETION_WINDOW_DAYS = 30


def _deletion_window(key: Resource, config: Config) -> Iterator[str]:
    value = read(key.props, "deletionWindowInDays")
    days = KMS_DEFAULT_DELETION_WINDOW_DAYS if value is None else number(value)
    minimum = config["minimumDeletionWindowDays"]
    if days is None or days < minimum:
        yield (
            f"KMS key would be deleted {value!r} days after it is scheduled for deletion, fewer "
            f"than the required {minimum} to notice and cancel"
        )


kms_key_deletion_window = resource_policy(
    name="kms-key-deletion-window",
    description="KMS keys wait at least the configured number of days before deletion.",
    severity=Severity.HIGH,
    framework=pci("3.6.1"),
    remediation_steps="Set deletion_window_in_days on the aws.kms.Key (7-30; 30 by default).",
    enforcement=EnforcementLevel.MANDATORY,
    applies_to=KMS_KEYS,
    check=_deletion_window,
    config={
        "minimumDeletionWindowDays": {
            "type": "integer",
            "minimum": 7,
            "maximum": 30,
            "default": 30,
            "description": "Fewest days KMS may wait between scheduling and deleting a key.",
        }
    },
)


def _lockout_check_kept(key: Resource, _: Config) -> Iterator[str]:
    if is_on(key.props, "bypassPolicyLockoutSafetyCheck"):
        yield (
            "KMS key policy skips the lockout safety check (bypassPolicyLockoutSafetyCheck: True): "
            "a policy that locks every administrator out would be accepted"
        )


kms_key_lockout_safety = resource_policy(
    name="kms-key-policy-lockout-safety",
    description="KMS key policies are checked against locking every administrator out.",
    severity=Severity.HIGH,
    framework=pci("3.6.1"),
    remediation_steps="Remove bypass_policy_lockout_safety_check (or set it False) on the key.",
    enforcement=EnforcementLevel.MANDATORY,
    applies_to=KMS_KEYS,
    check=_lockout_check_kept,
)
