"""The functions' execution role: this stack's tables, receipts bucket and key, one region."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra.naming import Names

DYNAMODB_ACTIONS = (
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:Query",
    "dynamodb:ConditionCheckItem",
)


def assume_role_policy(service: str) -> pulumi.Output[str]:
    """Trust policy letting one AWS service assume a role."""
    return pulumi.Output.json_dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
            ],
        }
    )


@dataclass(frozen=True)
class LambdaRoleArgs:
    names: Names
    region: str
    account_id: pulumi.Output[str]
    function_names: Sequence[str]
    """Inventory names of the functions that run with the role (their log groups)."""
    table_arns: Sequence[pulumi.Input[str]]
    receipts_bucket_arn: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str]
    tags: Mapping[str, str]


def execution_policy(args: LambdaRoleArgs) -> pulumi.Output[str]:
    """Least privilege for the payment functions, allowed in `args.region` only."""
    in_region = {"StringEquals": {"aws:RequestedRegion": args.region}}
    log_streams = [
        pulumi.Output.concat(
            "arn:aws:logs:",
            args.region,
            ":",
            args.account_id,
            ":log-group:",
            args.names.function_log_group(function),
            ":*",
        )
        for function in args.function_names
    ]
    return pulumi.Output.json_dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "WriteOwnLogs",
                    "Effect": "Allow",
                    "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                    "Resource": log_streams,
                    "Condition": in_region,
                },
                {
                    # X-Ray has no resource-level permissions.
                    "Sid": "WriteTraces",
                    "Effect": "Allow",
                    "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
                    "Resource": "*",
                    "Condition": in_region,
                },
                {
                    "Sid": "PaymentTables",
                    "Effect": "Allow",
                    "Action": list(DYNAMODB_ACTIONS),
                    "Resource": list(args.table_arns),
                    "Condition": in_region,
                },
                {
                    "Sid": "Receipts",
                    "Effect": "Allow",
                    "Action": ["s3:GetObject", "s3:PutObject"],
                    "Resource": [pulumi.Output.concat(args.receipts_bucket_arn, "/*")],
                    "Condition": in_region,
                },
                {
                    "Sid": "StackKey",
                    "Effect": "Allow",
                    "Action": ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
                    "Resource": [args.kms_key_arn],
                    "Condition": in_region,
                },
                {
                    "Sid": "DenyOtherRegions",
                    "Effect": "Deny",
                    "Action": "*",
                    "Resource": "*",
                    "Condition": {"StringNotEquals": {"aws:RequestedRegion": args.region}},
                },
            ],
        }
    )


class LambdaRole(pulumi.ComponentResource):
    """`payments:iam:LambdaRole`: the role and its inline policy (a separate `RolePolicy`)."""

    role: aws.iam.Role

    def __init__(
        self, name: str, args: LambdaRoleArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("payments:iam:LambdaRole", name, None, opts)
        self.role = aws.iam.Role(
            name,
            name=args.names.stack_scoped("lambda"),
            assume_role_policy=assume_role_policy("lambda.amazonaws.com"),
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.policy = aws.iam.RolePolicy(
            f"{name}-access",
            name="payments-function-access",
            role=self.role.id,
            policy=execution_policy(args),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"roleArn": self.role.arn})
