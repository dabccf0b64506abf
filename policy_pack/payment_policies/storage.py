"""S3 buckets: never public, always versioned."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import EnforcementLevel, Severity

from payment_policies.declare import Config, Resource, Stack, pci, stack_policy
from payment_policies.kinds import BUCKET_VERSIONING, BUCKETS, PUBLIC_ACCESS_BLOCKS
from payment_policies.props import block, dig, is_off, is_unknown

BUCKET_IDENTITY = ("bucket", "id")
PUBLIC_ACCESS_FLAGS = (
    "blockPublicAcls",
    "blockPublicPolicy",
    "ignorePublicAcls",
    "restrictPublicBuckets",
)


def _public_access_blocked(stack: Stack, _: Config) -> Iterator[tuple[Resource | None, str]]:
    for bucket in stack.of(BUCKETS):
        guards = stack.linked(bucket, PUBLIC_ACCESS_BLOCKS, "bucket", BUCKET_IDENTITY)
        if not guards:
            yield bucket, "bucket has no public access block"
        for guard in guards:
            off = {
                flag: guard.props.get(flag)
                for flag in PUBLIC_ACCESS_FLAGS
                if is_off(guard.props.get(flag))
            }
            if off:
                yield guard, f"public access block leaves flags off: {off}"


s3_public_access_block = stack_policy(
    name="s3-bucket-public-access-block",
    description="Every S3 bucket has a public access block with all four flags on.",
    severity=Severity.CRITICAL,
    framework=pci("1.4.4"),
    remediation_steps=(
        "Add an aws.s3.BucketPublicAccessBlock for the bucket with block_public_acls, "
        "block_public_policy, ignore_public_acls and restrict_public_buckets all True."
    ),
    enforcement=EnforcementLevel.MANDATORY,
    inspects=BUCKETS,
    check=_public_access_blocked,
)


def _versioned(stack: Stack, _: Config) -> Iterator[tuple[Resource | None, str]]:
    for bucket in stack.of(BUCKETS):
        inline = block(bucket.props.get("versioning"))
        if inline:
            if is_off(inline.get("enabled")):
                yield bucket, f"bucket versioning is not enabled (versioning: {inline})"
            continue
        versionings = stack.linked(bucket, BUCKET_VERSIONING, "bucket", BUCKET_IDENTITY)
        if not versionings:
            yield bucket, "bucket has no versioning configuration"
        for versioning in versionings:
            status = dig(versioning.props, "versioningConfiguration.status")
            if not is_unknown(status) and status != "Enabled":
                yield versioning, f"bucket versioning is not Enabled (status: {status!r})"


s3_versioning = stack_policy(
    name="s3-bucket-versioning",
    description="Every S3 bucket keeps object versions, so lost or overwritten data comes back.",
    severity=Severity.HIGH,
    framework=pci("12.10.1"),
    remediation_steps=(
        "Add an aws.s3.BucketVersioning for the bucket with versioning_configuration status "
        "'Enabled'."
    ),
    enforcement=EnforcementLevel.MANDATORY,
    inspects=BUCKETS,
    check=_versioned,
)

POLICIES = [s3_public_access_block, s3_versioning]
