"""Audit trail: every read and write of a bucket's objects and a table's items is recorded by a
CloudTrail trail of the stack (data events), which signs its log files and encrypts them with a KMS
key. The buckets the trails write to are the record itself and are not asked to record more."""

from __future__ import annotations

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
from payment_policies.identity import as_list
from payment_policies.kinds import BUCKET_IDENTITY, BUCKETS, TABLES, TRAILS, any_of
from payment_policies.props import (
    block,
    blocks,
    contains_unknown,
    is_set,
    is_true,
    known_within,
    read,
)

S3_OBJECTS = "AWS::S3::Object"
DYNAMODB_TABLES = "AWS::DynamoDB::Table"
BOTH = frozenset({"read", "write"})
_DIRECTIONS = {"All": BOTH, "ReadOnly": frozenset({"read"}), "WriteOnly": frozenset({"write"})}


class _Target:
    """What one bucket's objects or one table's items look like in an event selector."""

    def __init__(self, resource: Resource) -> None:
        if resource.type in BUCKETS:
            self.type = S3_OBJECTS
            self.prefix = f"arn:aws:s3:::{read(resource.props, 'bucket')}/"
            self.everything = ("arn:aws:s3", "arn:aws:s3:::")
        else:
            self.type = DYNAMODB_TABLES
            self.suffix = f":table/{read(resource.props, 'name')}"
            self.everything = ("arn:aws:dynamodb", "arn:aws:dynamodb:")

    def named_by(self, value: Any) -> bool:
        """A basic selector's value, or an advanced selector's `equals`, names it whole."""
        if not isinstance(value, str):
            return False
        if value in self.everything:
            return True
        if self.type == S3_OBJECTS:
            return value in (self.prefix, self.prefix.rstrip("/"))
        return value.startswith("arn:aws:dynamodb:") and value.endswith(self.suffix)

    def under(self, prefix: Any) -> bool:
        """An advanced selector's `startsWith` covers all of it."""
        if not isinstance(prefix, str):
            return False
        if self.type == S3_OBJECTS:
            return self.prefix.startswith(prefix)
        return prefix in self.everything or self.named_by(prefix)


def _basic(selectors: Any, target: _Target) -> set[str]:
    recorded: set[str] = set()
    for selector in blocks(selectors):
        for resource in blocks(selector.get("dataResources")):
            if resource.get("type") == target.type and any(
                target.named_by(value) for value in as_list(resource.get("values"))
            ):
                recorded |= _DIRECTIONS.get(selector.get("readWriteType") or "All", set())
    return recorded


def _advanced(selectors: Any, target: _Target) -> set[str]:
    recorded: set[str] = set()
    for selector in blocks(selectors):
        fields = {block(f).get("field"): block(f) for f in blocks(selector.get("fieldSelectors"))}
        if as_list(fields.get("eventCategory", {}).get("equals")) != ["Data"]:
            continue
        if as_list(fields.get("resources.type", {}).get("equals")) != [target.type]:
            continue
        if set(fields) - {"eventCategory", "resources.type", "resources.ARN", "readOnly"}:
            continue  # narrowed to some events (eventName, userIdentity...): not all access
        arn = fields.get("resources.ARN")
        if arn is not None and (
            set(arn) - {"field", "equals", "startsWith"}
            or not (
                any(target.named_by(v) for v in as_list(arn.get("equals")))
                or any(target.under(v) for v in as_list(arn.get("startsWith")))
            )
        ):
            continue
        read_only = fields.get("readOnly", {}).get("equals")
        if read_only is None:
            recorded |= BOTH
        elif len(as_list(read_only)) == 1:
            recorded.add("read" if is_true(as_list(read_only)[0]) else "write")
    return recorded


def _trail_problems(trail: Resource) -> Iterator[str]:
    if read(trail.props, "enableLogging") is False:
        yield "trail has logging off (enableLogging: false)"
    if not is_true(read(trail.props, "enableLogFileValidation")):
        yield (
            "trail does not validate its log files: a changed or deleted log file would go "
            "unnoticed (enableLogFileValidation is not true)"
        )
    if not is_set(trail.props.get("kmsKeyId")):
        yield "trail does not encrypt its log files with a KMS key (kmsKeyId is not set)"


_WRITES_TO = Link(TRAILS, "s3BucketName", BUCKET_IDENTITY)


def _data_access_recorded(stack: Stack, _: Config) -> Verdicts:
    trails = stack.of(TRAILS)

    def judge(subject: Resource) -> Iterator[tuple[Resource | None, str]]:
        if subject.type in TRAILS:
            for problem in _trail_problems(subject):
                yield subject, problem
            return
        if subject.type in BUCKETS and stack.linked(subject, _WRITES_TO):
            return
        target = _Target(subject)
        recorded: set[str] = set()
        unknown: list[tuple[Any, str]] = []
        for trail in trails:
            if read(trail.props, "enableLogging") is False:
                continue
            for key, judged in (("eventSelectors", _basic), ("advancedEventSelectors", _advanced)):
                selectors = trail.props.get(key)
                if contains_unknown(selectors):
                    unknown.append((selectors, f"{trail.name}.{key}"))
                else:
                    recorded |= judged(selectors, target)
        if BOTH - recorded:
            # What is known does not record it all: what is not yet known might.
            for selectors, where in unknown:
                known_within(selectors, where)
        missing = [f"{direction}s" for direction in sorted(BOTH - recorded)]
        if missing:
            what = "objects" if target.type == S3_OBJECTS else "items"
            yield (
                subject,
                f"no CloudTrail trail of the stack records {' and '.join(missing)} of its "
                f"{what} (data events for {target.type}): access to it leaves no audit record",
            )

    return judge_each(stack.of(RECORDED), judge)


RECORDED = any_of("an S3 bucket, DynamoDB table or CloudTrail trail", BUCKETS, TABLES, TRAILS)

audit_trail_records_data_access = stack_policy(
    name="audit-trail-records-data-access",
    description=(
        "Every read and write of the stack's bucket objects and table items is recorded by a "
        "CloudTrail trail (data events) that validates and KMS-encrypts its log files."
    ),
    severity=Severity.HIGH,
    framework=pci("10.2.1"),
    remediation_steps=(
        "Add an aws.cloudtrail.Trail with enable_log_file_validation=True, kms_key_id set to the "
        "stack's key and an event selector (read_write_type 'All') whose data resources name "
        "each bucket ('arn:aws:s3:::<bucket>/', type AWS::S3::Object) and each table (its ARN, "
        "type AWS::DynamoDB::Table), writing to a bucket of its own."
    ),
    enforcement=EnforcementLevel.MANDATORY,
    inspects=RECORDED,
    reads=(TRAILS,),
    check=_data_access_recorded,
)
