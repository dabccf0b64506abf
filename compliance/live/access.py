"""Live checks of who may do what, where, and of the tags: IAM roles' region deny, the required
tags, the regions resources run in."""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from compliance.live.compute import FUNCTION
from compliance.live.keys import KEY, LOG_GROUP, TOPIC
from compliance.live.registry import NOT_DECLARED, Context, Verdict, check, passes
from compliance.live.storage import BUCKET, TABLE, VAULT, bucket_name
from compliance.model.findings import Outcome
from compliance.model.graph import GraphResource

ROLE = "aws:iam/role:Role"
REGION_KEY = "aws:requestedregion"


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _restricts_region(statement: Mapping[str, Any], allowed: list[str], spared: list[str]) -> bool:
    """Deny every action (or all but the global services of `spared`) on every resource when
    aws:RequestedRegion is not an allowed region: the pack's rule, on the live document."""
    if statement.get("Effect") != "Deny" or "*" not in _as_list(statement.get("Resource")):
        return False
    if "Action" in statement:
        every = "*" in _as_list(statement["Action"])
    else:
        not_actions = [str(a).lower() for a in _as_list(statement.get("NotAction"))]
        every = bool(not_actions) and set(not_actions) <= {a.lower() for a in spared}
    if not every:
        return False
    conditions = statement.get("Condition", {})
    for operator in ("StringNotEquals", "StringNotEqualsIgnoreCase"):
        for key, regions in dict(conditions.get(operator, {})).items():
            if key.lower() == REGION_KEY and set(_as_list(regions)) <= set(allowed):
                return True
    return False


@check(ROLE, "iam-role-region-restricted")
def role_denies_other_regions(context: Context, role: GraphResource) -> Iterator[Verdict]:
    config = context.config("iam-role-region-restricted")
    allowed, spared = list(config.get("allowedRegions", [])), list(config.get("globalActions", []))
    name = str(role.state.get("name") or role.id)
    names = context.account.pages("iam", "list_role_policies", "PolicyNames", RoleName=name)
    documents = []
    for policy in names:
        answer = context.account.call("iam", "get_role_policy", RoleName=name, PolicyName=policy)
        document = (answer or {}).get("PolicyDocument", {})
        if isinstance(document, str):  # botocore decodes it; a raw endpoint may not
            document = json.loads(urllib.parse.unquote(document))
        documents.append(document)
    statements = [s for d in documents for s in _as_list(d.get("Statement", []))]
    yield passes(
        any(_restricts_region(s, allowed, spared) for s in statements if isinstance(s, dict)),
        "RolePolicies",
        names,
        f"no inline policy denies every action outside {allowed} through aws:RequestedRegion",
    )


def _pairs(items: list[dict[str, str]], key: str = "Key", value: str = "Value") -> dict[str, str]:
    return {item[key]: item[value] for item in items}


def _arn(resource: GraphResource) -> str:
    return str(resource.state.get("arn") or resource.id)


TagReader = Callable[[Context, GraphResource], dict[str, str]]
TAG_READERS: dict[str, TagReader] = {
    BUCKET: lambda c, r: _pairs(
        (
            c.account.call(
                "s3",
                "get_bucket_tagging",
                Bucket=str(r.state.get("bucket") or r.id),
                absent=frozenset({"NoSuchTagSet"}),
            )
            or {}
        ).get("TagSet", [])
    ),
    TABLE: lambda c, r: _pairs(
        c.account.pages("dynamodb", "list_tags_of_resource", "Tags", ResourceArn=_arn(r))
    ),
    FUNCTION: lambda c, r: dict(
        (c.account.call("lambda", "list_tags", Resource=_arn(r)) or {}).get("Tags", {})
    ),
    KEY: lambda c, r: _pairs(
        c.account.pages("kms", "list_resource_tags", "Tags", KeyId=str(r.id)), "TagKey", "TagValue"
    ),
    LOG_GROUP: lambda c, r: dict(
        (
            c.account.call("logs", "list_tags_for_resource", resourceArn=_arn(r).removesuffix(":*"))
            or {}
        ).get("tags", {})
    ),
    TOPIC: lambda c, r: _pairs(
        (c.account.call("sns", "list_tags_for_resource", ResourceArn=_arn(r)) or {}).get("Tags", [])
    ),
    ROLE: lambda c, r: _pairs(
        c.account.pages("iam", "list_role_tags", "Tags", RoleName=str(r.state.get("name") or r.id))
    ),
    VAULT: lambda c, r: dict(
        (c.account.call("backup", "list_tags", ResourceArn=_arn(r)) or {}).get("Tags", {})
    ),
}


def _tags_judge(token: str) -> Callable[[Context, GraphResource], Iterator[Verdict]]:
    def judge(context: Context, resource: GraphResource) -> Iterator[Verdict]:
        config = context.config("required-tags")
        tags = TAG_READERS[token](context, resource)
        allowed: Mapping[str, list[str]] = config.get("allowedValues", {})
        patterns: Mapping[str, str] = config.get("patterns", {})
        declared = resource.state.get("tags") or {}
        for name in config.get("requiredTags", []):
            value = tags.get(name)
            problem = (
                "is missing"
                if value is None
                else f"is not one of {allowed[name]}"
                if name in allowed and value not in allowed[name]
                else f"does not match {patterns[name]}"
                if name in patterns and re.fullmatch(patterns[name], value) is None
                else None
            )
            yield passes(
                problem is None,
                f"Tags.{name}",
                value,
                f"tag {name} {problem}",
                declared.get(name, NOT_DECLARED) if isinstance(declared, dict) else NOT_DECLARED,
            )

    return judge


for _token in TAG_READERS:
    check(_token, "required-tags")(_tags_judge(_token))


@check(BUCKET, "allowed-region")
def bucket_in_an_allowed_region(context: Context, bucket: GraphResource) -> Iterator[Verdict]:
    allowed = list(context.config("allowed-region").get("allowedRegions", []))
    answer = context.shared("s3", "get_bucket_location", Bucket=bucket_name(bucket))
    # S3 answers no constraint for us-east-1.
    region = answer.get("LocationConstraint") or "us-east-1"
    yield passes(region in allowed, "LocationConstraint", region, f"not in {allowed}")


def stack_region(context: Context) -> Verdict:
    """The region verified in, and every ARN the export records, are allowed regions."""
    allowed = list(context.config("allowed-region").get("allowedRegions", []))
    elsewhere = sorted(
        arn
        for resource in context.graph
        for arn in [resource.state.get("arn")]
        if isinstance(arn, str) and arn.count(":") >= 5 and arn.split(":")[3] not in ("", *allowed)
    )
    if context.account.region not in allowed:
        elsewhere.insert(0, f"(verified in {context.account.region})")
    if elsewhere:
        return Verdict(
            Outcome.FAIL, f"outside {allowed}: {', '.join(elsewhere[:5])}", "arn", elsewhere
        )
    return Verdict(Outcome.PASS, f"every ARN in {allowed}", "arn", [])
