"""The web ACL in front of the API: it filters requests (it has rules) and records them (logs)."""

from __future__ import annotations

import json
from collections.abc import Iterator

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
from payment_policies.kinds import WAF_LOGGING_CONFIGURATIONS, WEB_ACLS
from payment_policies.props import is_set, read

LOGGING_OF = Link(WAF_LOGGING_CONFIGURATIONS, "resourceArn", ("arn",))


def _rules(acl: Resource) -> object:
    """The ACL's rules: its `rules` blocks, or the JSON list in `ruleJson` when that is given."""
    rule_json = read(acl.props, "ruleJson")
    if isinstance(rule_json, str) and rule_json.strip():
        try:
            return json.loads(rule_json)
        except ValueError:
            return rule_json
    return read(acl.props, "rules")


def _has_rules(acl: Resource, _: Config) -> Iterator[str]:
    rules = _rules(acl)
    if not isinstance(rules, list) or not rules:
        yield (
            "web ACL has no rules: it applies its default action to every request unfiltered "
            f"(rules: {rules!r})"
        )


waf_web_acl_not_empty = resource_policy(
    name="waf-web-acl-not-empty",
    description="WAF web ACLs have at least one rule, so they filter what reaches the API.",
    severity=Severity.HIGH,
    framework=pci("6.4.2"),
    remediation_steps=(
        "Give the aws.wafv2.WebAcl rules: AWS managed rule groups (common rule set, known bad "
        "inputs, IP reputation) and a rate-based rule."
    ),
    enforcement=EnforcementLevel.MANDATORY,
    applies_to=WEB_ACLS,
    check=_has_rules,
)


def _web_acls_logged(stack: Stack, _: Config) -> Verdicts:
    def judge(acl: Resource) -> Iterator[tuple[Resource | None, str]]:
        configurations = stack.linked(acl, LOGGING_OF)
        if not configurations:
            yield (
                acl,
                "web ACL has no logging configuration: the requests it judges are not recorded",
            )
        for configuration in configurations:
            destinations = read(configuration.props, "logDestinationConfigs")
            if not isinstance(destinations, list) or not any(map(is_set, destinations)):
                yield (
                    configuration,
                    "WAF logging configuration names no destination "
                    f"(logDestinationConfigs: {destinations!r})",
                )

    return judge_each(stack.of(WEB_ACLS), judge)


waf_web_acl_logging = stack_policy(
    name="waf-web-acl-logging",
    description="Every WAF web ACL logs the requests it judges to a destination.",
    severity=Severity.MEDIUM,
    framework=pci("10.2.1"),
    remediation_steps=(
        "Add an aws.wafv2.WebAclLoggingConfiguration with resource_arn=web_acl.arn and "
        "log_destination_configs=[<aws-waf-logs-* log group ARN>]."
    ),
    enforcement=EnforcementLevel.MANDATORY,
    inspects=WEB_ACLS,
    configured_by=(LOGGING_OF,),
    check=_web_acls_logged,
)
