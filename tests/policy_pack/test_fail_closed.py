"""No silent pass: a value a check compares but cannot see is "unable to run" (NOT_RUN), never a
pass; a value outside what a policy knows is a violation. Each case here passed before.

All through the analyzer protocol, with the pack in its own environment.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from compliance.model.graph import UNKNOWN, GraphResource
from compliance.preview.analyzer import PolicyPackProcess
from tests.policy_pack.pack_harness import (
    compliant_stack,
    configure,
    graph,
    resource,
    resource_verdict,
    stack_verdict,
    with_inputs,
)

pytestmark = pytest.mark.usefixtures("default_config")

UNKNOWN_RESOURCE_VALUES: list[tuple[str, str, dict[str, Any]]] = [
    ("lambda-tracing-active", "processor", {"tracingConfig": {"mode": UNKNOWN}}),
    ("lambda-tracing-active", "processor", {"tracingConfig": UNKNOWN}),
    ("apigateway-stage-xray-enabled", "prod-stage", {"xrayTracingEnabled": UNKNOWN}),
    ("lambda-reserved-concurrency", "processor", {"reservedConcurrentExecutions": UNKNOWN}),
    ("lambda-runtime-supported", "processor", {"runtime": UNKNOWN}),
    ("cloudwatch-log-retention", "api-access", {"retentionInDays": UNKNOWN}),
    ("backup-retention-minimum", "daily", {"rules": [{"lifecycle": {"deleteAfter": UNKNOWN}}]}),
    ("backup-retention-minimum", "daily", {"rules": UNKNOWN}),
    ("dynamodb-pitr-enabled", "transactions", {"pointInTimeRecovery": {"enabled": UNKNOWN}}),
    ("dynamodb-pitr-enabled", "transactions", {"pointInTimeRecovery": UNKNOWN}),
    ("kms-key-rotation-enabled", "payments-key", {"enableKeyRotation": UNKNOWN}),
    (
        "dynamodb-table-encrypted-with-cmk",
        "transactions",
        {"serverSideEncryption": {"enabled": UNKNOWN, "kmsKeyArn": "arn:aws:kms:x"}},
    ),
    (
        "s3-encryption-kms-cmk",
        "receipts-encryption",
        {
            "rules": [
                {
                    "applyServerSideEncryptionByDefault": {"sseAlgorithm": UNKNOWN},
                    "bucketKeyEnabled": True,
                }
            ]
        },
    ),
    (
        "apigateway-no-data-trace",
        "prod-settings",
        {"settings": {"dataTraceEnabled": UNKNOWN}},
    ),
]


@pytest.mark.parametrize(
    ("policy", "name", "inputs"),
    UNKNOWN_RESOURCE_VALUES,
    ids=[f"{case[0]}-{index}" for index, case in enumerate(UNKNOWN_RESOURCE_VALUES)],
)
def test_a_compared_value_unknown_during_preview_is_unable_to_run(
    pack: PolicyPackProcess, policy: str, name: str, inputs: dict[str, Any]
) -> None:
    subject = with_inputs(compliant_stack()[name], **inputs)

    verdict, messages = resource_verdict(pack, policy, subject)

    assert verdict == "not-run", messages
    assert f"can't run policy '{policy}'" in messages[0]


def stack_with(name: str, **inputs: Any) -> dict[str, GraphResource]:
    stack = compliant_stack()
    stack[name] = with_inputs(stack[name], **inputs)
    return stack


UNKNOWN_STACK_VALUES: list[tuple[str, str, dict[str, Any]]] = [
    ("s3-bucket-public-access-block", "receipts-public-access", {"blockPublicAcls": UNKNOWN}),
    ("s3-bucket-versioning", "receipts-versioning", {"versioningConfiguration": UNKNOWN}),
    (
        "s3-bucket-versioning",
        "receipts-versioning",
        {"versioningConfiguration": {"status": UNKNOWN}},
    ),
    (
        "apigateway-stage-throttled",
        "prod-settings",
        {"settings": {"throttlingRateLimit": UNKNOWN, "throttlingBurstLimit": 100}},
    ),
    ("apigateway-method-authorization", "post-payment", {"authorization": UNKNOWN}),
]


@pytest.mark.parametrize(
    ("policy", "name", "inputs"),
    UNKNOWN_STACK_VALUES,
    ids=[f"{case[0]}-{index}" for index, case in enumerate(UNKNOWN_STACK_VALUES)],
)
def test_a_stack_policy_reading_an_unknown_value_is_unable_to_run(
    pack: PolicyPackProcess, policy: str, name: str, inputs: dict[str, Any]
) -> None:
    verdict, messages = stack_verdict(pack, policy, stack_with(name, **inputs), None)

    assert verdict == "not-run", messages


def test_an_unknown_on_one_resource_does_not_hide_another_resources_violation(
    pack: PolicyPackProcess,
) -> None:
    unguarded = resource(
        "aws:s3/bucket:Bucket", "documents", {"bucket": "documents-123456789012"}, protect=True
    )
    stack = stack_with("receipts-public-access", blockPublicAcls=UNKNOWN) | {"documents": unguarded}

    result = pack.analyze_stack(graph(stack))
    mine = [d for d in result.diagnostics if d.policy_name == "s3-bucket-public-access-block"]

    assert any(d.unable_to_run for d in mine)
    assert [d.message for d in mine if d.urn == unguarded.urn] == [
        next(d.message for d in mine if "has no public access block" in d.message)
    ]


def test_a_runtime_missing_from_the_dated_table_is_a_violation(pack: PolicyPackProcess) -> None:
    subject = with_inputs(compliant_stack()["processor"], runtime="nodejs6.10")

    verdict, messages = resource_verdict(pack, "lambda-runtime-supported", subject)

    assert verdict == "fail"
    assert "runtime 'nodejs6.10' is not in the supported runtimes" in messages[0]


def region_deny(**statement: Any) -> str:
    deny = {
        "Effect": "Deny",
        "Resource": "*",
        "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1"]}},
        **statement,
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [deny]})


def role_with(document: str) -> dict[str, GraphResource]:
    return stack_with("processor-role", inlinePolicies=[{"name": "region", "policy": document}])


def test_a_region_deny_of_one_action_does_not_restrict_the_role(pack: PolicyPackProcess) -> None:
    stack = role_with(region_deny(Action="s3:PutObject"))

    verdict, messages = stack_verdict(pack, "iam-role-region-restricted", stack, "processor-role")

    assert verdict == "fail"
    assert "denies every action outside ['eu-west-1']" in messages[0]


def test_a_not_action_deny_sparing_only_configured_global_services_restricts(
    pack: PolicyPackProcess,
) -> None:
    configure(pack, {"iam-role-region-restricted": {"globalActions": ["iam:*", "sts:*"]}})
    spares_globals = role_with(region_deny(NotAction=["iam:*", "sts:*"]))
    spares_s3 = role_with(region_deny(NotAction=["iam:*", "s3:*"]))

    assert stack_verdict(pack, "iam-role-region-restricted", spares_globals, "processor-role") == (
        "pass",
        [],
    )
    assert (
        stack_verdict(pack, "iam-role-region-restricted", spares_s3, "processor-role")[0] == "fail"
    )


def test_a_not_action_deny_is_not_enough_by_default(pack: PolicyPackProcess) -> None:
    stack = role_with(region_deny(NotAction=["iam:*"]))

    assert stack_verdict(pack, "iam-role-region-restricted", stack, "processor-role")[0] == "fail"


def test_a_method_without_authorization_is_judged_explicitly(pack: PolicyPackProcess) -> None:
    stack = stack_with("post-payment", authorization=...)

    verdict, messages = stack_verdict(
        pack, "apigateway-method-authorization", stack, "post-payment"
    )

    assert verdict == "fail"
    assert "method names no authorization (authorization: None)" in messages[0]


@pytest.mark.parametrize("document", ["{not json", "7", '["a list"]'])
def test_a_policy_document_nobody_can_read_is_a_violation(
    pack: PolicyPackProcess, document: str
) -> None:
    role = with_inputs(
        compliant_stack()["processor-role"], inlinePolicies=[{"name": "x", "policy": document}]
    )

    verdict, messages = resource_verdict(pack, "iam-no-wildcard-data-actions", role)

    assert verdict == "fail"
    assert "not a JSON policy document" in messages[0]
