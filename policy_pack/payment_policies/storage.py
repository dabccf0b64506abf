"""S3 buckets: never public, ACLs off, always versioned, reachable only over TLS, their data
disposed of."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from payment_policies.declare import (
    Config,
    Link,
    Resource,
    Stack,
    Verdicts,
    judge_each,
    pci,
    stack_policy,
)
from payment_policies.identity import as_list, some_statement_holds, statements
from payment_policies.kinds import (
    BUCKET_IDENTITY,
    BUCKET_LIFECYCLES,
    BUCKET_OWNERSHIP,
    BUCKET_POLICIES,
    BUCKET_VERSIONING,
    BUCKETS,
    PUBLIC_ACCESS_BLOCKS,
)
from payment_policies.props import block, given, is_on, known, read

PUBLIC_ACCESS_BLOCK_OF = Link(PUBLIC_ACCESS_BLOCKS, "bucket", BUCKET_IDENTITY)
OWNERSHIP_OF = Link(BUCKET_OWNERSHIP, "bucket", BUCKET_IDENTITY)
VERSIONING_OF = Link(BUCKET_VERSIONING, "bucket", BUCKET_IDENTITY)
POLICY_OF = Link(BUCKET_POLICIES, "bucket", BUCKET_IDENTITY)
LIFECYCLE_OF = Link(BUCKET_LIFECYCLES, "bucket", BUCKET_IDENTITY)
OWNER_ENFORCED = "BucketOwnerEnforced"
PUBLIC_ACCESS_FLAGS = (
    "blockPublicAcls",
    "blockPublicPolicy",
    "ignorePublicAcls",
    "restrictPublicBuckets",
)


def _public_access_blocked(stack: Stack, _: Config) -> Verdicts:
    def judge(bucket: Resource) -> Iterator[tuple[Resource | None, str]]:
        guards = stack.linked(bucket, PUBLIC_ACCESS_BLOCK_OF)
        if not guards:
            yield bucket, "bucket has no public access block"
        for guard in guards:
            off = {
                flag: guard.props.get(flag)
                for flag in PUBLIC_ACCESS_FLAGS
                if not is_on(guard.props, flag)
            }
            if off:
                yield guard, f"public access block leaves flags off: {off}"

    return judge_each(stack.of(BUCKETS), judge)


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
    configured_by=(PUBLIC_ACCESS_BLOCK_OF,),
    check=_public_access_blocked,
)


def _acls_disabled(stack: Stack, _: Config) -> Verdicts:
    def judge(bucket: Resource) -> Iterator[tuple[Resource | None, str]]:
        controls = stack.linked(bucket, OWNERSHIP_OF)
        if not controls:
            yield bucket, "bucket has no ownership controls: its ACLs still grant access"
        for control in controls:
            ownership = read(control.props, "rule.objectOwnership")
            if ownership != OWNER_ENFORCED:
                yield (
                    control,
                    f"object ownership is {ownership!r}, not {OWNER_ENFORCED!r}: ACLs still "
                    "grant access",
                )

    return judge_each(stack.of(BUCKETS), judge)


s3_acls_disabled = stack_policy(
    name="s3-bucket-acls-disabled",
    description="Every S3 bucket disables ACLs: its object ownership is BucketOwnerEnforced.",
    severity=Severity.HIGH,
    framework=pci("7.2.1"),
    remediation_steps=(
        "Add an aws.s3.BucketOwnershipControls for the bucket with rule object_ownership "
        f"'{OWNER_ENFORCED}', so only the bucket policy and IAM grant access."
    ),
    enforcement=EnforcementLevel.MANDATORY,
    inspects=BUCKETS,
    configured_by=(OWNERSHIP_OF,),
    check=_acls_disabled,
)


def _versioned(stack: Stack, _: Config) -> Verdicts:
    def judge(bucket: Resource) -> Iterator[tuple[Resource | None, str]]:
        inline = block(given(bucket.props.get("versioning")))
        if inline:
            if not is_on(inline, "enabled"):
                yield bucket, f"bucket versioning is not enabled (versioning: {inline})"
            return
        versionings = stack.linked(bucket, VERSIONING_OF)
        if not versionings:
            yield bucket, "bucket has no versioning configuration"
        for versioning in versionings:
            status = read(versioning.props, "versioningConfiguration.status")
            if status != "Enabled":
                yield versioning, f"bucket versioning is not Enabled (status: {status!r})"

    return judge_each(stack.of(BUCKETS), judge)


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
    configured_by=(VERSIONING_OF,),
    check=_versioned,
)


SECURE_TRANSPORT_KEY = "aws:securetransport"


def _bucket_arn(bucket: Resource) -> str:
    arn = bucket.props.get("arn")
    if isinstance(arn, str) and arn.startswith("arn:"):
        return arn
    name = known(bucket.props.get("bucket"), f"{bucket.name}.bucket")
    if not isinstance(name, str) or not name:
        raise TypeError(f"bucket has no name to build its ARN from (bucket: {name!r})")
    return f"arn:aws:s3:::{name}"


def _covers(pattern: Any, target: str) -> bool:
    """Whether an IAM resource pattern (`*`, `?` wildcards) matches all of `target`.

    A `*` in `target` stands for any text, so only a `*` of the pattern can cover it.
    """
    if not isinstance(pattern, str):
        return False
    regex = "".join(
        ".*" if char == "*" else "[^*]" if char == "?" else re.escape(char) for char in pattern
    )
    return re.fullmatch(regex, target) is not None


def _only_when_insecure(condition: Any) -> bool:
    """The condition is exactly `aws:SecureTransport` false: nothing else narrows the deny."""
    tests = [
        (operator, key, as_list(values))
        for operator, keys in block(condition).items()
        for key, values in block(keys).items()
    ]
    if len(tests) != 1:
        return False
    ((operator, key, values),) = tests
    return (
        operator in ("Bool", "BoolIfExists")
        and key.lower() == SECURE_TRANSPORT_KEY
        and bool(values)
        and all(str(value).lower() == "false" for value in values)
    )


def _denies_insecure_transport(statement: dict[str, Any], bucket_arn: str) -> bool:
    principal = statement.get("Principal")
    resources = as_list(statement.get("Resource"))
    return (
        statement.get("Effect") == "Deny"
        and (principal == "*" or "*" in as_list(block(principal).get("AWS")))
        and any(str(action).lower() in ("*", "s3:*") for action in as_list(statement.get("Action")))
        and all(
            any(_covers(pattern, target) for pattern in resources)
            for target in (bucket_arn, f"{bucket_arn}/*")
        )
        and _only_when_insecure(statement.get("Condition"))
    )


def _insecure_transport_denied(stack: Stack, _: Config) -> Verdicts:
    def judge(bucket: Resource) -> Iterator[tuple[Resource | None, str]]:
        policies = stack.linked(bucket, POLICY_OF)
        if not policies:
            yield bucket, "bucket has no bucket policy, so nothing denies requests without TLS"
            return
        documents = [(policy, "policy", policy.props.get("policy")) for policy in policies]
        arn = _bucket_arn(bucket)
        denies = functools.partial(_denies_insecure_transport, bucket_arn=arn)
        if some_statement_holds(documents, denies):
            return
        for policy, where, document in documents:
            seen = [s.get("Sid", s.get("Effect")) for s in statements(document, where)]
            yield (
                policy,
                (
                    f"bucket policy does not deny s3:* to every principal on {arn} and {arn}/* "
                    f"when aws:SecureTransport is false (statements seen: {seen})"
                ),
            )

    return judge_each(stack.of(BUCKETS), judge)


s3_denies_insecure_transport = stack_policy(
    name="s3-bucket-denies-insecure-transport",
    description="Every S3 bucket's policy denies all requests made without TLS.",
    severity=Severity.HIGH,
    framework=pci("4.2.1"),
    remediation_steps=(
        "Add an aws.s3.BucketPolicy whose bucket is the bucket's id, with a statement Effect "
        "'Deny', Principal '*', Action 's3:*', Resource ['arn:aws:s3:::<bucket name>', "
        "'arn:aws:s3:::<bucket name>/*'] and Condition {'Bool': {'aws:SecureTransport': "
        "'false'}}; build the ARNs from the bucket's name so the document is known at preview."
    ),
    enforcement=EnforcementLevel.MANDATORY,
    inspects=BUCKETS,
    configured_by=(POLICY_OF,),
    check=_insecure_transport_denied,
)


def _lifecycle_configured(stack: Stack, _: Config) -> Verdicts:
    def judge(bucket: Resource) -> Iterator[tuple[Resource | None, str]]:
        inline = given(bucket.props.get("lifecycleRules"))
        if inline:
            if not any(is_on(rule, "enabled") for rule in as_list(inline)):
                yield bucket, f"bucket has no enabled lifecycle rule (lifecycleRules: {inline})"
            return
        configurations = stack.linked(bucket, LIFECYCLE_OF)
        if not configurations:
            yield bucket, "bucket has no lifecycle configuration: nothing it holds is disposed of"
        for configuration in configurations:
            rules = as_list(read(configuration.props, "rules"))
            statuses = [read(block(rule), "status") for rule in rules]
            if "Enabled" not in statuses:
                yield (
                    configuration,
                    f"lifecycle configuration has no enabled rule (statuses: {statuses})",
                )

    return judge_each(stack.of(BUCKETS), judge)


s3_bucket_lifecycle = stack_policy(
    name="s3-bucket-lifecycle",
    description="Every S3 bucket has an enabled lifecycle rule: what it holds is disposed of.",
    severity=Severity.MEDIUM,
    framework=pci("3.2.1"),
    remediation_steps=(
        "Add an aws.s3.BucketLifecycleConfiguration for the bucket with at least one rule of "
        "status 'Enabled' (expiration or transition of current and noncurrent versions)."
    ),
    enforcement=EnforcementLevel.MANDATORY,
    inspects=BUCKETS,
    configured_by=(LIFECYCLE_OF,),
    check=_lifecycle_configured,
)
