"""IAM: trust policies, the region restriction every role carries, and one role per function.

Each function's role grants what its own code calls and nothing more (PCI DSS 7.2.2): its log
group and X-Ray for every function, the payment data only for the packages that use it
(`infra.inventory.PAYMENT_DATA_PACKAGES`). The policies name resources by the ARNs built from
their physical names, so they are known during a preview and checkable by the policy pack there.
Use of the key is granted by the key's own policy (`infra.kms`) to the roles of the functions
that use the data, which needs no ARN that AWS generates either.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra.naming import Names

# What the payment functions do (lambda_packages/): look customers up, record transactions (a
# conditional put that is also the idempotency claim, read back on a retry, the receipt's key set
# by an update; nothing is deleted), write receipts under one prefix, read the identifier key.
CUSTOMER_ACTIONS = ("dynamodb:GetItem",)
TRANSACTION_ACTIONS = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem")
RECEIPTS_PREFIX = "receipts/"


def assume_role_policy(service: str, account_id: pulumi.Input[str]) -> pulumi.Output[str]:
    """Trust policy letting one AWS service assume a role, on behalf of this account only."""
    return pulumi.Output.json_dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": service},
                    "Action": "sts:AssumeRole",
                    "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
                }
            ],
        }
    )


def region_restriction_policy(region: str) -> str:
    """Deny every action requested in another region."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "DenyOtherRegions",
                    "Effect": "Deny",
                    "Action": "*",
                    "Resource": "*",
                    "Condition": {"StringNotEquals": {"aws:RequestedRegion": region}},
                }
            ],
        }
    )


def restrict_to_region(
    name: str, role: aws.iam.Role, region: str, parent: pulumi.Resource
) -> aws.iam.RolePolicy:
    """Attach the region restriction to `role` as an inline policy."""
    return aws.iam.RolePolicy(
        f"{name}-region-restriction",
        name="payments-region-restriction",
        role=role.id,
        policy=region_restriction_policy(region),
        opts=pulumi.ResourceOptions(parent=parent),
    )


@dataclass(frozen=True, kw_only=True)
class PaymentData:
    """Physical names of the payment data, for the functions whose code uses it."""

    transactions_table: str
    customers_table: str
    receipts_bucket_name: pulumi.Input[str]
    identifier_key_parameter: str


@dataclass(frozen=True, kw_only=True)
class LambdaRoleArgs:
    names: Names
    region: str
    account_id: pulumi.Output[str]
    function: str
    """Inventory name of the function that runs with the role (its log group)."""
    data: PaymentData | None
    """The payment data the function's code uses; None for none."""
    tags: Mapping[str, str]


def role_arn(account_id: pulumi.Input[str], role_name: str) -> pulumi.Output[str]:
    """A role's ARN from its name: known before the role exists."""
    return pulumi.Output.concat("arn:aws:iam::", account_id, ":role/", role_name)


def access_policy(args: LambdaRoleArgs) -> pulumi.Output[str]:
    """The function's own logs, traces and, when its code uses them, the payment tables and the
    receipts bucket, in `args.region` only: the same size for every function, however many."""
    in_region = {"StringEquals": {"aws:RequestedRegion": args.region}}

    def arn(service: str, resource: str) -> pulumi.Output[str]:
        return pulumi.Output.concat(
            "arn:aws:", service, ":", args.region, ":", args.account_id, ":", resource
        )

    statements: list[dict[str, object]] = [
        {
            "Sid": "WriteOwnLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": [
                arn("logs", f"log-group:{args.names.function_log_group(args.function)}:*")
            ],
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
    ]
    if args.data is not None:
        statements += [
            {
                "Sid": "LookUpCustomers",
                "Effect": "Allow",
                "Action": list(CUSTOMER_ACTIONS),
                "Resource": [arn("dynamodb", f"table/{args.data.customers_table}")],
                "Condition": in_region,
            },
            {
                "Sid": "RecordTransactions",
                "Effect": "Allow",
                "Action": list(TRANSACTION_ACTIONS),
                "Resource": [arn("dynamodb", f"table/{args.data.transactions_table}")],
                "Condition": in_region,
            },
            {
                "Sid": "WriteReceipts",
                "Effect": "Allow",
                "Action": ["s3:PutObject"],
                "Resource": [
                    pulumi.Output.concat(
                        "arn:aws:s3:::", args.data.receipts_bucket_name, "/", RECEIPTS_PREFIX, "*"
                    )
                ],
                "Condition": in_region,
            },
            {
                "Sid": "ReadIdentifierKey",
                "Effect": "Allow",
                "Action": ["ssm:GetParameter"],
                "Resource": [arn("ssm", f"parameter{args.data.identifier_key_parameter}")],
                "Condition": in_region,
            },
        ]
    return pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": statements})


class LambdaRole(pulumi.ComponentResource):
    """`payments:iam:LambdaRole`: one function's role, its access policy and its region
    restriction."""

    role: aws.iam.Role
    role_name: str
    """The role's physical name, known before it exists (the key policy names it)."""
    uses_data: bool
    """Whether the function's code uses the payment data (and so the key)."""

    def __init__(
        self, name: str, args: LambdaRoleArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("payments:iam:LambdaRole", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.role_name = args.names.function_role(args.function)
        self.uses_data = args.data is not None
        self.role = aws.iam.Role(
            name,
            name=self.role_name,
            assume_role_policy=assume_role_policy("lambda.amazonaws.com", args.account_id),
            tags=dict(args.tags),
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-access",
            name="payments-function-access",
            role=self.role.id,
            policy=access_policy(args),
            opts=child,
        )
        restrict_to_region(name, self.role, args.region, self)
        self.register_outputs({"roleArn": self.role.arn})
