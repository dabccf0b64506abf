"""Live checks of the audit trail: the stack's CloudTrail trails log, validate and encrypt their
files, and their running event selectors record every read and write of the payment buckets'
objects and the tables' items."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from compliance.live.registry import Context, Verdict, check, declared_at, passes
from compliance.live.storage import BUCKET, TABLE, bucket_name
from compliance.model.graph import GraphResource
from compliance.model.tokens import v7_token

TRAIL = "aws:cloudtrail/trail:Trail"
POLICY = "audit-trail-records-data-access"
BOTH = frozenset({"read", "write"})
_DIRECTIONS = {"All": BOTH, "ReadOnly": frozenset({"read"}), "WriteOnly": frozenset({"write"})}
_READ_ONLY = {("true",): frozenset({"read"}), ("false",): frozenset({"write"})}
_EVERY = {
    "AWS::S3::Object": ("arn:aws:s3", "arn:aws:s3:::"),
    "AWS::DynamoDB::Table": ("arn:aws:dynamodb",),
}
"""A basic selector's values naming every resource of the type in the account."""
_KNOWN_FIELDS = {"eventCategory", "resources.type", "resources.ARN", "readOnly"}


@check(TRAIL, POLICY)
def trail_logs_validates_and_encrypts(context: Context, trail: GraphResource) -> Iterator[Verdict]:
    settings = context.shared("cloudtrail", "get_trail", Name=trail.id).get("Trail", {})
    status = context.shared("cloudtrail", "get_trail_status", Name=trail.id)
    logging = status.get("IsLogging", False)
    yield passes(
        logging is True,
        "IsLogging",
        logging,
        "the trail has stopped logging",
        declared_at(trail, "enableLogging"),
    )
    validated = settings.get("LogFileValidationEnabled", False)
    yield passes(
        validated is True,
        "Trail.LogFileValidationEnabled",
        validated,
        "log file validation is off: a changed or deleted log file goes unnoticed",
        declared_at(trail, "enableLogFileValidation"),
    )
    key = settings.get("KmsKeyId")
    yield passes(
        context.is_stack_key(key),
        "Trail.KmsKeyId",
        key,
        "the trail's log files are not encrypted with the stack's key",
    )


@check(BUCKET, POLICY)
def bucket_access_recorded(context: Context, bucket: GraphResource) -> Iterator[Verdict]:
    name = bucket_name(bucket)
    context.shared("s3", "get_bucket_location", Bucket=name)  # It still exists.
    destinations = [
        str(trail.name)
        for trail, settings, _ in _trails(context)
        if settings.get("S3BucketName") == name
    ]
    if destinations:
        yield passes(True, "Trail.S3BucketName", destinations, "")
        return
    yield _recorded(context, "AWS::S3::Object", f"arn:aws:s3:::{name}/")


@check(TABLE, POLICY)
def table_access_recorded(context: Context, table: GraphResource) -> Iterator[Verdict]:
    answer = context.shared("dynamodb", "describe_table", TableName=table.id)
    yield _recorded(context, "AWS::DynamoDB::Table", str(answer.get("Table", {}).get("TableArn")))


def _trails(context: Context) -> list[tuple[GraphResource, dict[str, Any], dict[str, Any]]]:
    """Each trail of the stack, what it runs with, and its event selectors."""
    return [
        (
            trail,
            context.shared("cloudtrail", "get_trail", Name=trail.id).get("Trail", {}),
            context.shared("cloudtrail", "get_event_selectors", TrailName=trail.id),
        )
        for trail in context.graph
        if v7_token(trail.type) == TRAIL and trail.id
    ]


def _recorded(context: Context, data_type: str, arn: str) -> Verdict:
    recorded: set[str] = set()
    recording: list[str] = []
    for trail, _, selectors in _trails(context):
        logging = context.shared("cloudtrail", "get_trail_status", Name=trail.id)
        if logging.get("IsLogging") is not True:
            continue
        found = _basic(selectors.get("EventSelectors") or [], data_type, arn) | _advanced(
            selectors.get("AdvancedEventSelectors") or [], data_type, arn
        )
        if found:
            recording.append(f"{trail.name}: {', '.join(sorted(found))}")
        recorded |= found
    missing = sorted(BOTH - recorded)
    return passes(
        not missing,
        "EventSelectors",
        recording,
        f"no logging trail of the stack records the {' and '.join(missing)} data events of "
        f"{arn} ({data_type})",
    )


def _basic(selectors: list[dict[str, Any]], data_type: str, arn: str) -> frozenset[str]:
    recorded: frozenset[str] = frozenset()
    for selector in selectors:
        covers = any(
            resource.get("Type") == data_type
            and any(_names(value, data_type, arn) for value in resource.get("Values", []))
            for resource in selector.get("DataResources", [])
        )
        if covers:
            recorded |= _DIRECTIONS.get(selector.get("ReadWriteType", "All"), frozenset())
    return recorded


def _names(value: str, data_type: str, arn: str) -> bool:
    """Whether a basic selector's value names `arn` (a bucket's `arn:aws:s3:::name/`, a table's
    ARN) or every resource of its type."""
    return value == arn or value in _EVERY.get(data_type, ())


def _named(condition: dict[str, Any], data_type: str, arn: str) -> bool:
    """Whether a `resources.ARN` condition takes in `arn`; an object ARN equal to a bucket's
    prefix names one object, not the bucket's objects."""
    exact = data_type != "AWS::S3::Object" and arn in condition.get("Equals", [])
    return exact or any(arn.startswith(prefix) for prefix in condition.get("StartsWith", []))


def _advanced(selectors: list[dict[str, Any]], data_type: str, arn: str) -> frozenset[str]:
    recorded: frozenset[str] = frozenset()
    for selector in selectors:
        fields = {f.get("Field"): f for f in selector.get("FieldSelectors", [])}
        if set(fields) - _KNOWN_FIELDS or any(
            set(f) - {"Field", "Equals", "StartsWith"} for f in fields.values()
        ):
            continue  # A condition this check does not read could narrow it: not counted.
        if fields.get("eventCategory", {}).get("Equals") != ["Data"]:
            continue
        if data_type not in fields.get("resources.type", {}).get("Equals", []):
            continue
        if "resources.ARN" in fields and not _named(fields["resources.ARN"], data_type, arn):
            continue
        read_only = fields.get("readOnly", {}).get("Equals")
        recorded |= _READ_ONLY.get(tuple(read_only), frozenset()) if read_only else BOTH
    return recorded
