"""Live checks of the keys and of what they encrypt beside the data stores: KMS keys, log groups,
SNS topics."""

from __future__ import annotations

from collections.abc import Iterator

from compliance.live.account import LiveCallError, Problem
from compliance.live.registry import Context, Verdict, check, declared_at, passes
from compliance.model.graph import GraphResource

KEY = "aws:kms/key:Key"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
TOPIC = "aws:sns/topic:Topic"


@check(KEY, "kms-key-rotation-enabled")
def key_rotates_and_is_usable(context: Context, key: GraphResource) -> Iterator[Verdict]:
    rotation = context.account.call("kms", "get_key_rotation_status", KeyId=key.id) or {}
    enabled = rotation.get("KeyRotationEnabled", False)
    yield passes(
        enabled is True,
        "KeyRotationEnabled",
        enabled,
        "automatic rotation is off",
        declared_at(key, "enableKeyRotation"),
    )
    metadata = (context.account.call("kms", "describe_key", KeyId=key.id) or {}).get(
        "KeyMetadata", {}
    )
    state = metadata.get("KeyState")
    yield passes(
        state == "Enabled",
        "KeyMetadata.KeyState",
        state,
        "the key cannot encrypt or decrypt (disabled, or pending deletion)",
    )


def _log_group(context: Context, group: GraphResource) -> dict[str, object]:
    name = str(group.state.get("name") or group.id)
    groups = context.account.pages(
        "logs", "describe_log_groups", "logGroups", logGroupNamePrefix=name
    )
    for found in groups:
        if found.get("logGroupName") == name:
            return dict(found)
    raise LiveCallError(Problem.MISSING, "logs", "describe_log_groups", f"no log group {name}")


@check(LOG_GROUP, "cloudwatch-log-group-encrypted")
def log_group_encrypted(context: Context, group: GraphResource) -> Iterator[Verdict]:
    key = _log_group(context, group).get("kmsKeyId")
    yield passes(
        context.is_stack_key(key),
        "kmsKeyId",
        key,
        "the log group is not encrypted with the stack's key",
        declared_at(group, "kmsKeyId"),
    )


@check(LOG_GROUP, "cloudwatch-log-retention")
def log_group_retained(context: Context, group: GraphResource) -> Iterator[Verdict]:
    minimum = int(context.config("cloudwatch-log-retention").get("minimumRetentionDays", 0))
    days = _log_group(context, group).get("retentionInDays")
    yield passes(
        days is None or (isinstance(days, int) and days >= minimum),
        "retentionInDays",
        days,
        f"logs are deleted before {minimum} days",
        declared_at(group, "retentionInDays"),
    )


@check(TOPIC, "sns-topic-encrypted")
def topic_encrypted(context: Context, topic: GraphResource) -> Iterator[Verdict]:
    arn = str(topic.state.get("arn") or topic.id)
    answer = context.account.call("sns", "get_topic_attributes", TopicArn=arn) or {}
    key = answer.get("Attributes", {}).get("KmsMasterKeyId")
    yield passes(
        context.is_stack_key(key),
        "Attributes.KmsMasterKeyId",
        key,
        "the topic is not encrypted with the stack's key",
        declared_at(topic, "kmsMasterKeyId"),
    )
