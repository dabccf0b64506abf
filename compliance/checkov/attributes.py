"""Pulumi input names to Terraform attribute names.

pulumi-aws derives its names from the Terraform schema: snake_case becomes camelCase, and a list of
nested blocks gets a plural name (`rule` -> `rules`, `transition` -> `transitions`,
`inline_policy` -> `inlinePolicies`). Both are undone mechanically. The few attributes pulumi-aws
renames outright (`renamedProperties` in its bridge metadata) are listed here.
"""

from __future__ import annotations

import re

from compliance.checkov.types import snake_case

_API_GATEWAY_REST_API_CHILDREN = (
    "aws_api_gateway_authorizer",
    "aws_api_gateway_deployment",
    "aws_api_gateway_documentation_part",
    "aws_api_gateway_gateway_response",
    "aws_api_gateway_integration",
    "aws_api_gateway_integration_response",
    "aws_api_gateway_method",
    "aws_api_gateway_method_response",
    "aws_api_gateway_method_settings",
    "aws_api_gateway_model",
    "aws_api_gateway_request_validator",
    "aws_api_gateway_resource",
    "aws_api_gateway_rest_api_policy",
    "aws_api_gateway_stage",
)

RENAMED: dict[str, dict[str, str]] = {
    **{tf_type: {"restApi": "rest_api_id"} for tf_type in _API_GATEWAY_REST_API_CHILDREN},
    "aws_api_gateway_stage": {"restApi": "rest_api_id", "deployment": "deployment_id"},
    "aws_cloudwatch_metric_alarm": {"name": "alarm_name"},
    "aws_lambda_function": {"code": "filename"},
    "aws_lambda_permission": {"function": "function_name"},
    "aws_sns_topic_subscription": {"topic": "topic_arn"},
}
"""Terraform type -> Pulumi name -> Terraform name, for top-level inputs pulumi-aws renames."""

_SINGULAR_RULES = (
    (re.compile(r"ies$"), "y"),
    (re.compile(r"(ss|x|ch|sh)es$"), r"\1"),
    (re.compile(r"(?<!s)s$"), ""),
)


def singular(name: str) -> str:
    """`rules` -> `rule`, `inline_policies` -> `inline_policy`, `indexes` -> `index`."""
    for pattern, replacement in _SINGULAR_RULES:
        if pattern.search(name):
            return pattern.sub(replacement, name)
    return name


def terraform_attribute(tf_type: str, pulumi_name: str, *, top_level: bool, blocks: bool) -> str:
    """The Terraform name of a Pulumi input; `blocks` when it holds a list of nested blocks."""
    if top_level and pulumi_name in RENAMED.get(tf_type, {}):
        return RENAMED[tf_type][pulumi_name]
    name = snake_case(pulumi_name)
    return singular(name) if blocks else name
