"""Audit logs and their alerts: functions log to groups of their own, kept long enough; alarms
notify."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import EnforcementLevel, Severity

from payment_policies.declare import (
    Config,
    Resource,
    Stack,
    Verdicts,
    judge_each,
    pci,
    resource_policy,
    stack_policy,
)
from payment_policies.kinds import ALARMS, FUNCTIONS, LOG_GROUPS
from payment_policies.props import is_set, is_true, number, read


def _retention(log_group: Resource, config: Config) -> Iterator[str]:
    value = read(log_group.props, "retentionInDays")
    if value in (None, 0):
        # No retention set means events never expire: a stack defines how long it keeps logs.
        if not config["allowNeverExpire"]:
            yield f"log group keeps events forever (retentionInDays: {value!r})"
        return
    days = number(value)
    minimum, maximum = config["minimumRetentionDays"], config["maximumRetentionDays"]
    if days is None or days < minimum:
        yield f"log group keeps events {value!r} days, fewer than the required {minimum}"
    elif days > maximum:
        yield f"log group keeps events {value!r} days, more than the allowed {maximum}"


log_retention = resource_policy(
    name="cloudwatch-log-retention",
    description="CloudWatch log groups keep events an explicit number of days within the bounds.",
    severity=Severity.MEDIUM,
    framework=pci("10.5.1"),
    remediation_steps=(
        "Set retention_in_days on the aws.cloudwatch.LogGroup to an allowed value at or above "
        "the minimum (365 for PCI DSS 10.5.1)."
    ),
    enforcement=EnforcementLevel.MANDATORY,
    applies_to=LOG_GROUPS,
    check=_retention,
    config={
        "minimumRetentionDays": {
            "type": "integer",
            "minimum": 1,
            "default": 365,
            "description": "Fewest days a log group may keep events (PCI DSS: twelve months).",
        },
        "maximumRetentionDays": {
            "type": "integer",
            "minimum": 1,
            "default": 3653,
            "description": "Most days a log group may keep events (kept no longer than needed).",
        },
        "allowNeverExpire": {
            "type": "boolean",
            "default": False,
            "description": "Whether a log group may keep its events forever (no retention set).",
        },
    },
)


def _alarm_notifies(alarm: Resource, _: Config) -> Iterator[str]:
    enabled = read(alarm.props, "actionsEnabled")
    if enabled is not None and not is_true(enabled):
        yield f"alarm actions are disabled (actionsEnabled: {enabled!r})"
    actions = read(alarm.props, "alarmActions")
    if not isinstance(actions, list) or not any(map(is_set, actions)):
        yield f"alarm notifies nobody when it fires (alarmActions: {actions!r})"


cloudwatch_alarm_actions = resource_policy(
    name="cloudwatch-alarm-actions",
    description="CloudWatch alarms notify someone when they fire.",
    severity=Severity.MEDIUM,
    framework=pci("10.7.2"),
    remediation_steps=(
        "Set alarm_actions=[<SNS topic ARN>] (and leave actions_enabled on) on the "
        "aws.cloudwatch.MetricAlarm."
    ),
    enforcement=EnforcementLevel.MANDATORY,
    applies_to=ALARMS,
    check=_alarm_notifies,
)


def _log_group_name(function: Resource) -> object:
    """The log group a function writes to: its logging config's, else Lambda's default."""
    configured = read(function.props, "loggingConfig.logGroup")
    if configured is not None:
        return configured
    name = read(function.props, "name")
    return f"/aws/lambda/{name}" if isinstance(name, str) else "Lambda's default log group"


def _functions_log_to_their_own_groups(stack: Stack, _: Config) -> Verdicts:
    groups = stack.of(LOG_GROUPS)
    owners: dict[str, Resource] = {}

    def judge(function: Resource) -> Iterator[tuple[Resource | None, str]]:
        linked = [g for g in groups if function.depends_through("loggingConfig", g)]
        if not linked:
            name = _log_group_name(function)
            linked = [g for g in groups if g.props.get("name") == name]
        if not linked:
            name = _log_group_name(function)
            yield function, f"function logs to {name!r}, a log group the stack does not manage"
        for group in linked:
            other = owners.setdefault(group.urn, function)
            if other is not function:
                yield function, f"function shares its log group with {other.name}"

    return judge_each(stack.of(FUNCTIONS), judge)


lambda_logs_own_group = stack_policy(
    name="lambda-logs-own-group",
    description="Every Lambda function logs to a log group of its own that the stack manages.",
    severity=Severity.MEDIUM,
    framework=pci("10.2.1"),
    remediation_steps=(
        "Create an aws.cloudwatch.LogGroup for the function (KMS key, retention) and set "
        "logging_config={'log_format': 'JSON', 'log_group': log_group.name} on it."
    ),
    enforcement=EnforcementLevel.MANDATORY,
    inspects=FUNCTIONS,
    reads=(LOG_GROUPS,),
    check=_functions_log_to_their_own_groups,
)
