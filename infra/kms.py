"""The customer-managed KMS key that encrypts every data store, log group, topic and vault."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra.audit_trail import trail_arn
from infra.iam import LambdaRole, role_arn
from infra.naming import Names


@dataclass(frozen=True, kw_only=True)
class KeyArgs:
    names: Names
    region: str
    account_id: pulumi.Output[str]
    users: Sequence[LambdaRole]
    """The roles of the functions whose code uses the payment data: may encrypt receipts and
    decrypt with the key. No other function's role is named."""
    tags: Mapping[str, str]
    protect: bool


# The services the payment functions use the key through: their tables, receipts, identifier
# key parameter, and Lambda decrypting their environment at start.
FUNCTION_KEY_SERVICES = ("dynamodb", "s3", "ssm", "lambda")


def key_policy(
    account_id: pulumi.Output[str],
    region: str,
    user_role_names: Sequence[str],
    trail_arn: pulumi.Input[str],
) -> pulumi.Output[str]:
    """IAM in this account administers the key; the named functions' roles (only through the
    services that store their data, in the region), Logs in the region, alarms and the stack's
    audit trail may use it."""
    functions_use_key = [
        {
            "Sid": "PaymentFunctionsUseKeyViaTheirServices",
            "Effect": "Allow",
            "Principal": {"AWS": [role_arn(account_id, name) for name in user_role_names]},
            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
            "Resource": "*",
            "Condition": {
                "StringEquals": {
                    "kms:ViaService": [
                        f"{service}.{region}.amazonaws.com" for service in FUNCTION_KEY_SERVICES
                    ]
                }
            },
        }
    ]
    return pulumi.Output.json_dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AccountIamPoliciesGrantUse",
                    "Effect": "Allow",
                    "Principal": {
                        "AWS": pulumi.Output.concat("arn:aws:iam::", account_id, ":root")
                    },
                    "Action": "kms:*",
                    "Resource": "*",
                },
                # KMS refuses a statement without a principal.
                *(functions_use_key if user_role_names else []),
                {
                    "Sid": "CloudWatchLogsInRegionEncryptLogGroups",
                    "Effect": "Allow",
                    "Principal": {"Service": f"logs.{region}.amazonaws.com"},
                    "Action": [
                        "kms:Encrypt*",
                        "kms:Decrypt*",
                        "kms:ReEncrypt*",
                        "kms:GenerateDataKey*",
                        "kms:Describe*",
                    ],
                    "Resource": "*",
                    "Condition": {
                        "ArnLike": {
                            "kms:EncryptionContext:aws:logs:arn": pulumi.Output.concat(
                                "arn:aws:logs:", region, ":", account_id, ":log-group:*"
                            )
                        }
                    },
                },
                {
                    "Sid": "CloudTrailEncryptsTheAuditTrail",
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudtrail.amazonaws.com"},
                    "Action": ["kms:GenerateDataKey*", "kms:DescribeKey"],
                    "Resource": "*",
                    "Condition": {
                        "StringEquals": {"aws:SourceArn": trail_arn},
                        "StringLike": {
                            "kms:EncryptionContext:aws:cloudtrail:arn": pulumi.Output.concat(
                                "arn:aws:cloudtrail:*:", account_id, ":trail/*"
                            )
                        },
                    },
                },
                {
                    "Sid": "CloudWatchAlarmsPublishToEncryptedTopic",
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudwatch.amazonaws.com"},
                    "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                    "Resource": "*",
                    "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
                },
            ],
        }
    )


class Key(pulumi.ComponentResource):
    """`payments:kms:Key`: a rotating symmetric key and its alias."""

    key: aws.kms.Key
    alias: aws.kms.Alias

    def __init__(
        self, name: str, args: KeyArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("payments:kms:Key", name, None, opts)
        self.key = aws.kms.Key(
            name,
            description=f"Payment stack ({args.names.suffix}): data, logs, topics and backups",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=key_policy(
                args.account_id,
                args.region,
                [user.role_name for user in args.users],
                trail_arn(args.region, args.account_id, args.names.audit_trail),
            ),
            tags=dict(args.tags),
            # KMS refuses a policy naming a principal that does not exist yet.
            opts=pulumi.ResourceOptions(
                parent=self,
                protect=args.protect,
                depends_on=[user.role for user in args.users],
            ),
        )
        self.alias = aws.kms.Alias(
            f"{name}-alias",
            name=args.names.key_alias,
            target_key_id=self.key.key_id,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"keyArn": self.key.arn, "alias": self.alias.name})
