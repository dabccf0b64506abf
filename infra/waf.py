"""The regional WAFv2 web ACL in front of the API: AWS managed rules, a per-IP rate limit, logs.

Managed groups: IP reputation, anonymous IPs (Tor, proxies), the core rule set and known bad
inputs (Log4j and other exploit patterns).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from infra.naming import Names

MANAGED_RULE_GROUPS = (
    "AWSManagedRulesAmazonIpReputationList",
    "AWSManagedRulesAnonymousIpList",
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
)
# The API's IAM-signed callers may well run on a cloud host: count those requests, don't block them.
COUNT_ONLY_RULES = {"AWSManagedRulesAnonymousIpList": ("HostingProviderIPList",)}
# Never in the logs: the path and query (free text a client chooses), SigV4 credentials and the
# headers that carry free text by convention. WAF can only redact headers by name.
REDACTED_HEADERS = (
    "authorization",
    "cookie",
    "referer",
    "user-agent",
    "x-amz-security-token",
    "x-forwarded-for",
)


@dataclass(frozen=True, kw_only=True)
class WebAclArgs:
    names: Names
    rate_limit: int
    """Requests per client IP in any 5-minute window before WAF blocks it."""
    kms_key_arn: pulumi.Input[str]
    log_retention_days: int
    tags: Mapping[str, str]


def _visibility(metric: str) -> Any:  # the ACL's and each rule's config are distinct types
    return {
        "cloudwatch_metrics_enabled": True,
        "metric_name": metric,
        "sampled_requests_enabled": True,
    }


class WebAcl(pulumi.ComponentResource):
    """`payments:waf:WebAcl`: the ACL, its KMS-encrypted log group and its logging config."""

    web_acl: aws.wafv2.WebAcl

    def __init__(
        self, name: str, args: WebAclArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("payments:waf:WebAcl", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        rate_rule: aws.wafv2.WebAclRuleArgsDict = {
            "name": "RateLimitPerClientIp",
            "priority": 0,
            "action": {"block": {}},
            "statement": {
                "rate_based_statement": {"limit": args.rate_limit, "aggregate_key_type": "IP"}
            },
            "visibility_config": _visibility("RateLimitPerClientIp"),
        }
        managed_rules: list[aws.wafv2.WebAclRuleArgsDict] = [
            {
                "name": group,
                "priority": priority,
                "override_action": {"none": {}},
                "statement": {
                    "managed_rule_group_statement": {
                        "vendor_name": "AWS",
                        "name": group,
                        "rule_action_overrides": [
                            {"name": rule, "action_to_use": {"count": {}}}
                            for rule in COUNT_ONLY_RULES.get(group, ())
                        ],
                    }
                },
                "visibility_config": _visibility(group),
            }
            for priority, group in enumerate(MANAGED_RULE_GROUPS, start=1)
        ]
        self.web_acl = aws.wafv2.WebAcl(
            name,
            name=args.names.stack_scoped("waf"),
            scope="REGIONAL",
            default_action={"allow": {}},
            rules=[rate_rule, *managed_rules],
            visibility_config=_visibility(args.names.stack_scoped("waf")),
            tags=dict(args.tags),
            opts=child,
        )
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=args.names.waf_log_group,
            retention_in_days=args.log_retention_days,
            kms_key_id=args.kms_key_arn,
            tags=dict(args.tags),
            opts=child,
        )
        aws.wafv2.WebAclLoggingConfiguration(
            f"{name}-logging",
            resource_arn=self.web_acl.arn,
            log_destination_configs=[log_group.arn],
            redacted_fields=[
                {"uri_path": {}},
                {"query_string": {}},
                *(
                    aws.wafv2.WebAclLoggingConfigurationRedactedFieldArgsDict(
                        single_header={"name": header}
                    )
                    for header in REDACTED_HEADERS
                ),
            ],
            opts=child,
        )
        self.register_outputs({"webAclArn": self.web_acl.arn})
