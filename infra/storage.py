"""S3 buckets: versioned, SSE-KMS with the stack's key, Glacier after 90 days, private, TLS only."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

GLACIER_AFTER_DAYS = 90


@dataclass(frozen=True, kw_only=True)
class BucketArgs:
    physical_name: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str]
    tags: Mapping[str, str]
    protect: bool
    grants: Sequence[Mapping[str, Any]] = ()
    """Statements the bucket policy adds to its TLS-only denials (a service delivering to it)."""


def bucket_arn(physical_name: pulumi.Input[str]) -> pulumi.Output[str]:
    return pulumi.Output.concat("arn:aws:s3:::", physical_name)


def tls_only_policy(
    physical_name: pulumi.Input[str], grants: Sequence[Mapping[str, Any]] = ()
) -> pulumi.Output[str]:
    """Deny every request over plain HTTP or TLS older than 1.2; allow what `grants` allow.

    Built from the bucket's physical name rather than its `arn` output, so the document is known
    during a first preview and the policy pack can judge it before anything is created.
    """
    arn = bucket_arn(physical_name)
    resources = [arn, pulumi.Output.concat(arn, "/*")]
    return pulumi.Output.json_dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "DenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": resources,
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                },
                {
                    "Sid": "DenyOutdatedTls",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": resources,
                    "Condition": {"NumericLessThan": {"s3:TlsVersion": "1.2"}},
                },
                *grants,
            ],
        }
    )


class Bucket(pulumi.ComponentResource):
    """`payments:storage:Bucket`: a bucket and the configuration resources linked to it."""

    bucket: aws.s3.Bucket
    policy: aws.s3.BucketPolicy

    def __init__(
        self, name: str, args: BucketArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("payments:storage:Bucket", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.bucket = aws.s3.Bucket(
            name,
            bucket=args.physical_name,
            # An unprotected (non-production) stack can be destroyed with its objects.
            force_destroy=not args.protect,
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        versioning = aws.s3.BucketVersioning(
            f"{name}-versioning",
            bucket=self.bucket.id,
            versioning_configuration={"status": "Enabled"},
            opts=child,
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            bucket=self.bucket.id,
            rules=[
                {
                    "apply_server_side_encryption_by_default": {
                        "sse_algorithm": "aws:kms",
                        "kms_master_key_id": args.kms_key_arn,
                    },
                    "bucket_key_enabled": True,
                }
            ],
            opts=child,
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=self.bucket.id,
            rules=[
                {
                    "id": f"glacier-after-{GLACIER_AFTER_DAYS}-days",
                    "status": "Enabled",
                    "filter": {"prefix": ""},
                    "transitions": [{"days": GLACIER_AFTER_DAYS, "storage_class": "GLACIER"}],
                    "noncurrent_version_transitions": [
                        {"noncurrent_days": GLACIER_AFTER_DAYS, "storage_class": "GLACIER"}
                    ],
                    "abort_incomplete_multipart_upload": {"days_after_initiation": 7},
                }
            ],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[versioning]),
        )
        aws.s3.BucketOwnershipControls(
            f"{name}-ownership",
            bucket=self.bucket.id,
            rule={"object_ownership": "BucketOwnerEnforced"},
            opts=child,
        )
        public_access_block = aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access-block",
            bucket=self.bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        self.policy = aws.s3.BucketPolicy(
            f"{name}-tls-only",
            bucket=self.bucket.id,
            policy=tls_only_policy(args.physical_name, args.grants),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[public_access_block]),
        )
        self.register_outputs({"bucketName": self.bucket.bucket, "bucketArn": self.bucket.arn})
