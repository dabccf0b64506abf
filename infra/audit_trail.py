"""The audit trail: CloudTrail records every read and write of the payment buckets' objects and
the payment tables' items (PCI DSS 10.2.1) in a bucket of its own, encrypted with the stack's key,
each log file signed in a digest (log file validation) so a changed or deleted file is detected
(10.3.2)."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from infra.naming import Names
from infra.storage import Bucket, BucketArgs, bucket_arn

CLOUDTRAIL = "cloudtrail.amazonaws.com"


@dataclass(frozen=True, kw_only=True)
class AuditTrailArgs:
    names: Names
    region: str
    account_id: pulumi.Output[str]
    log_bucket_name: pulumi.Output[str]
    kms_key_arn: pulumi.Input[str]
    bucket_names: Sequence[pulumi.Input[str]]
    """Physical names of the buckets whose object access is recorded."""
    table_names: Sequence[str]
    """Physical names of the tables whose item access is recorded."""
    tags: Mapping[str, str]
    protect: bool


def trail_arn(region: str, account_id: pulumi.Input[str], trail_name: str) -> pulumi.Output[str]:
    return pulumi.Output.concat(
        "arn:aws:cloudtrail:", region, ":", account_id, ":trail/", trail_name
    )


def delivery_grants(
    log_bucket_name: pulumi.Input[str], account_id: pulumi.Input[str], trail: pulumi.Input[str]
) -> list[dict[str, Any]]:
    """What CloudTrail needs of its bucket, for this trail alone (`aws:SourceArn`)."""
    arn = bucket_arn(log_bucket_name)
    return [
        {
            "Sid": "CloudTrailChecksTheBucketAcl",
            "Effect": "Allow",
            "Principal": {"Service": CLOUDTRAIL},
            "Action": "s3:GetBucketAcl",
            "Resource": arn,
            "Condition": {"StringEquals": {"aws:SourceArn": trail}},
        },
        {
            "Sid": "CloudTrailDeliversLogFiles",
            "Effect": "Allow",
            "Principal": {"Service": CLOUDTRAIL},
            "Action": "s3:PutObject",
            "Resource": pulumi.Output.concat(arn, "/AWSLogs/", account_id, "/*"),
            "Condition": {
                "StringEquals": {
                    "aws:SourceArn": trail,
                    "s3:x-amz-acl": "bucket-owner-full-control",
                }
            },
        },
    ]


class AuditTrail(pulumi.ComponentResource):
    """`payments:audit:Trail`: the trail and the bucket it writes to."""

    trail: aws.cloudtrail.Trail
    log_bucket: Bucket

    def __init__(
        self, name: str, args: AuditTrailArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("payments:audit:Trail", name, None, opts)
        arn = trail_arn(args.region, args.account_id, args.names.audit_trail)
        self.log_bucket = Bucket(
            f"{name}-logs",
            BucketArgs(
                physical_name=args.log_bucket_name,
                kms_key_arn=args.kms_key_arn,
                tags=args.tags,
                protect=args.protect,
                grants=delivery_grants(args.log_bucket_name, args.account_id, arn),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        tables = [
            pulumi.Output.concat(
                "arn:aws:dynamodb:", args.region, ":", args.account_id, ":table/", table
            )
            for table in args.table_names
        ]
        self.trail = aws.cloudtrail.Trail(
            name,
            name=args.names.audit_trail,
            s3_bucket_name=self.log_bucket.bucket.id,
            kms_key_id=args.kms_key_arn,
            enable_logging=True,
            enable_log_file_validation=True,
            # One region holds the stack and its data: a multi-region trail would record (and
            # store here) activity of regions the stack is forbidden to use.
            is_multi_region_trail=False,
            include_global_service_events=False,
            event_selectors=[
                {
                    "read_write_type": "All",
                    "include_management_events": True,
                    "data_resources": [
                        {
                            "type": "AWS::S3::Object",
                            "values": [
                                pulumi.Output.concat(bucket_arn(bucket), "/")
                                for bucket in args.bucket_names
                            ],
                        },
                        {"type": "AWS::DynamoDB::Table", "values": tables},
                    ],
                }
            ],
            tags=dict(args.tags),
            # CloudTrail checks its bucket policy and key when the trail is created.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.log_bucket.policy]),
        )
        self.register_outputs({"trailArn": self.trail.arn})
