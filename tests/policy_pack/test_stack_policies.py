"""Every stack policy, failing and passing, through `AnalyzeStack` over the analyzer protocol."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable

import pytest

from compliance.analyzer import PolicyPackProcess
from compliance.graph import UNKNOWN, GraphResource
from tests.policy_pack.pack_harness import (
    REGION_DENY,
    compliant_stack,
    configure,
    graph,
    resource,
    stack_verdict,
    with_inputs,
)

Stack = dict[str, GraphResource]


pytestmark = pytest.mark.usefixtures("default_config")


def without(*names: str) -> Callable[[Stack], Stack]:
    def change(stack: Stack) -> Stack:
        return {name: r for name, r in stack.items() if name not in names}

    return change


def changed(name: str, **inputs: object) -> Callable[[Stack], Stack]:
    def change(stack: Stack) -> Stack:
        return stack | {name: with_inputs(stack[name], **inputs)}

    return change


def unlinked(name: str, prop: str) -> Callable[[Stack], Stack]:
    def change(stack: Stack) -> Stack:
        original = stack[name]
        dependencies = {k: v for k, v in original.property_dependencies.items() if k != prop}
        return stack | {name: dataclasses.replace(original, property_dependencies=dependencies)}

    return change


OTHER_REGION_DENY = json.loads(
    json.dumps(REGION_DENY).replace('"eu-west-1"', '"eu-west-1", "us-east-1"')
)

# (policy, how the stack is broken, resource the violation names, words the message carries)
VIOLATIONS: list[tuple[str, Callable[[Stack], Stack], str, str]] = [
    ("s3-bucket-encrypted", without("receipts-encryption"), "receipts", "no server-side"),
    (
        "s3-bucket-public-access-block",
        without("receipts-public-access"),
        "receipts",
        "no public access block",
    ),
    (
        "s3-bucket-public-access-block",
        changed("receipts-public-access", restrictPublicBuckets=False),
        "receipts-public-access",
        "{'restrictPublicBuckets': False}",
    ),
    ("s3-bucket-versioning", without("receipts-versioning"), "receipts", "no versioning"),
    (
        "s3-bucket-versioning",
        changed("receipts-versioning", versioningConfiguration={"status": "Suspended"}),
        "receipts-versioning",
        "'Suspended'",
    ),
    ("dynamodb-table-in-backup-plan", unlinked("tables", "resources"), "transactions", "no backup"),
    (
        "iam-role-region-restricted",
        changed("processor-role", inlinePolicies=[]),
        "processor-role",
        "aws:RequestedRegion (0 policy documents seen)",
    ),
    (
        "iam-role-region-restricted",
        changed(
            "processor-role",
            inlinePolicies=[{"name": "region", "policy": json.dumps(OTHER_REGION_DENY)}],
        ),
        "processor-role",
        "no policy of the role denies actions outside ['eu-west-1']",
    ),
    ("apigateway-stage-throttled", without("prod-settings"), "prod-stage", "no method settings"),
    (
        "apigateway-stage-throttled",
        changed("prod-settings", settings={"throttlingRateLimit": 9, "throttlingBurstLimit": 9999}),
        "prod-settings",
        "throttlingBurstLimit 9999 exceeds the allowed maximum 5000",
    ),
    (
        "apigateway-stage-throttled",
        changed("prod-settings", settings={"throttlingBurstLimit": 100}),
        "prod-settings",
        "throttlingRateLimit is not set to a positive limit (seen: None)",
    ),
    (
        "apigateway-method-authorization",
        changed("post-payment", authorization="NONE"),
        "post-payment",
        "method POST /payments has authorization NONE",
    ),
    ("apigateway-stage-waf", without("payments-waf-association"), "prod-stage", "no WAF"),
]


@pytest.mark.parametrize(
    ("policy", "breaking", "subject", "expected"),
    VIOLATIONS,
    ids=[f"{case[0]}-{index}" for index, case in enumerate(VIOLATIONS)],
)
def test_breaking_the_stack_is_a_violation_on_the_resource_at_fault(
    pack: PolicyPackProcess,
    policy: str,
    breaking: Callable[[Stack], Stack],
    subject: str,
    expected: str,
) -> None:
    verdict, messages = stack_verdict(pack, policy, breaking(compliant_stack()), subject)

    assert verdict == "fail"
    assert any(expected in message for message in messages), messages


def test_compliant_stack_passes_every_stack_policy(pack: PolicyPackProcess) -> None:
    stack_policies = {p.name for p in pack.info().policies if p.kind == "stack"}

    result = pack.analyze_stack(graph(compliant_stack()))

    assert result.diagnostics == ()
    assert result.not_applicable == ()
    assert {case[0] for case in VIOLATIONS} == stack_policies


def test_stack_without_what_a_policy_inspects_is_not_applicable(
    pack: PolicyPackProcess,
) -> None:
    only_a_key = {"payments-key": compliant_stack()["payments-key"]}

    assert stack_verdict(pack, "s3-bucket-versioning", only_a_key, None)[0] == "not-applicable"


def test_links_by_known_values_count_like_property_dependencies(pack: PolicyPackProcess) -> None:
    stack = unlinked("receipts-versioning", "bucket")(compliant_stack())
    stack = changed("receipts-versioning", bucket="receipts-123456789012")(stack)

    assert stack_verdict(pack, "s3-bucket-versioning", stack, "receipts") == ("pass", [])


def test_a_second_unlinked_bucket_fails_alone(pack: PolicyPackProcess) -> None:
    stack = compliant_stack()
    stack["orphan"] = resource("aws:s3/bucket:Bucket", "orphan", {"bucket": "orphan"}, protect=True)

    verdict, messages = stack_verdict(pack, "s3-bucket-versioning", stack, "orphan")

    assert verdict == "fail"
    assert "bucket has no versioning configuration" in messages[0]
    assert stack_verdict(pack, "s3-bucket-versioning", stack, "receipts")[0] == "pass"


def test_role_policy_resource_carrying_the_region_deny_satisfies_its_role(
    pack: PolicyPackProcess,
) -> None:
    stack = changed("processor-role", inlinePolicies=...)(compliant_stack())
    stack["region-deny"] = resource(
        "aws:iam/rolePolicy:RolePolicy",
        "region-deny",
        {"policy": json.dumps(REGION_DENY)},
        links={"role": stack["processor-role"]},
        tagged=False,
    )

    assert stack_verdict(pack, "iam-role-region-restricted", stack, "processor-role") == (
        "pass",
        [],
    )


def test_public_path_listed_in_config_may_skip_authorization(pack: PolicyPackProcess) -> None:
    stack = changed("post-payment", authorization="NONE")(compliant_stack())
    configure(pack, {"apigateway-method-authorization": {"publicPaths": ["POST /payments"]}})

    assert stack_verdict(pack, "apigateway-method-authorization", stack, "post-payment") == (
        "pass",
        [],
    )


@pytest.mark.parametrize(
    ("table_arn", "selected"),
    [
        (
            "arn:aws:dynamodb:eu-west-1:123456789012:table/transactions-prod",
            ["arn:aws:dynamodb:eu-west-1:123456789012:table/*"],
        ),
        (UNKNOWN, ["arn:aws:dynamodb:*:*:table/*"]),
    ],
)
def test_backup_selection_by_known_arn_or_table_wildcard_covers_the_table(
    pack: PolicyPackProcess, table_arn: str, selected: list[str]
) -> None:
    stack = unlinked("tables", "resources")(compliant_stack())
    stack = changed("tables", resources=selected)(stack)
    stack = changed("transactions", arn=table_arn)(stack)

    assert stack_verdict(pack, "dynamodb-table-in-backup-plan", stack, "transactions") == (
        "pass",
        [],
    )


def test_backup_selection_of_another_table_leaves_this_one_unprotected(
    pack: PolicyPackProcess,
) -> None:
    stack = unlinked("tables", "resources")(compliant_stack())
    stack = changed("tables", resources=["arn:aws:dynamodb:eu-west-1:1:table/customers"])(stack)
    stack = changed("transactions", arn="arn:aws:dynamodb:eu-west-1:1:table/transactions")(stack)

    assert stack_verdict(pack, "dynamodb-table-in-backup-plan", stack, "transactions")[0] == "fail"
