"""What stacks we did not write bring: config overrides, unknowns, v6 tokens, odd shapes.

All through the analyzer protocol; a policy that crashed would surface as a gRPC error, which
the client raises as `PolicyPackError`, so every test here also proves the pack did not crash.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from compliance.model.findings import Enforcement
from compliance.model.graph import UNKNOWN, GraphResource
from compliance.preview.analyzer import PolicyPackProcess
from tests.policy_pack.pack_harness import (
    TAGS,
    compliant_stack,
    configure,
    graph,
    provider,
    resource,
    resource_verdict,
    stack_verdict,
    with_inputs,
)

pytestmark = pytest.mark.usefixtures("default_config")


def bucket(**inputs: Any) -> GraphResource:
    return with_inputs(compliant_stack()["receipts"], **inputs)


# Config overrides


def test_disabled_policy_neither_runs_nor_reports(pack: PolicyPackProcess) -> None:
    configure(pack, {"required-tags": "disabled"})

    result = pack.analyze(bucket(tags=...), provider())

    assert all(d.policy_name != "required-tags" for d in result.diagnostics)
    assert all(n.policy_name != "required-tags" for n in result.not_applicable)


def test_policy_made_advisory_reports_at_advisory_level(pack: PolicyPackProcess) -> None:
    configure(pack, {"dynamodb-pitr-enabled": {"enforcementLevel": "advisory"}})
    table = with_inputs(compliant_stack()["transactions"], pointInTimeRecovery=...)

    (diagnostic,) = pack.analyze(table, provider()).diagnostics

    assert diagnostic.policy_name == "dynamodb-pitr-enabled"
    assert diagnostic.enforcement is Enforcement.ADVISORY


def test_all_key_sets_every_level_and_a_policy_entry_overrides_it(
    pack: PolicyPackProcess,
) -> None:
    configure(pack, {"all": "advisory", "required-tags": "mandatory"})

    result = pack.analyze(
        bucket(tags={"Environment": "production"}, region="us-east-1"), provider()
    )

    levels = {d.policy_name: d.enforcement for d in result.diagnostics}
    assert levels == {
        "required-tags": Enforcement.MANDATORY,
        "allowed-region": Enforcement.ADVISORY,
    }


def test_custom_tag_list_replaces_the_default_one(pack: PolicyPackProcess) -> None:
    configure(pack, {"required-tags": {"requiredTags": ["CostCenter"]}})

    verdict, messages = resource_verdict(pack, "required-tags", bucket())

    assert verdict == "fail"
    assert "missing or empty required tags ['CostCenter']" in messages[0]


def test_allowed_values_reject_a_tag_value_outside_them(pack: PolicyPackProcess) -> None:
    configure(pack, {"required-tags": {"allowedValues": {"Environment": ["production"]}}})

    verdict, messages = resource_verdict(
        pack, "required-tags", bucket(tags=TAGS | {"Environment": "staging"})
    )

    assert verdict == "fail"
    assert "tag Environment='staging' is not one of ['production']" in messages[0]


def test_provider_default_tags_cover_resources_without_their_own(pack: PolicyPackProcess) -> None:
    # A provider's state carries nested config JSON-encoded, as `pulumi stack export` shows it.
    tagging_provider = provider(defaultTags=json.dumps({"tags": TAGS}))

    assert resource_verdict(pack, "required-tags", bucket(tags=...), tagging_provider) == (
        "pass",
        [],
    )


def test_remediate_level_adds_missing_tags_from_config(pack: PolicyPackProcess) -> None:
    configure(
        pack,
        {
            "required-tags": {
                "enforcementLevel": "remediate",
                "defaultValues": {"MigratedFrom": "dev"},
            }
        },
    )
    untagged = bucket(tags={"Environment": "production", "MigrationDate": "2026-12-01"})

    (remediation,) = pack.remediate(untagged, provider())

    assert remediation.policy_name == "required-tags"
    assert remediation.properties is not None
    assert remediation.properties["tags"] == TAGS
    assert remediation.properties["bucket"] == untagged.inputs["bucket"]


def test_remediation_runs_only_at_the_remediate_level(pack: PolicyPackProcess) -> None:
    untagged = bucket(tags={"Environment": "production"})

    assert pack.remediate(untagged, provider()) == []


# Unknown values during preview


def test_every_check_that_compares_a_value_stops_at_unknowns(pack: PolicyPackProcess) -> None:
    everything_unknown = [
        dataclasses.replace(
            r, inputs={k: UNKNOWN if k != "tags" else v for k, v in r.inputs.items()}
        )
        for r in compliant_stack().values()
    ]

    diagnostics = [
        (d, subject.name)
        for subject in everything_unknown
        for d in pack.analyze(subject, provider()).diagnostics
    ]

    # Nothing is a violation: every value a check needed was unknown, so it could not run.
    assert [(d.policy_name, name) for d, name in diagnostics if not d.unable_to_run] == []
    # Only the checks whose whole question is "is a reference set?" (a CMK ARN, a log group's
    # key, a topic's key, a vault's key, a web ACL) take an unknown for set and pass.
    assert {(d.policy_name, name) for d, name in diagnostics} == {
        ("apigateway-cache-encrypted", "prod-settings"),
        ("apigateway-domain-tls", "payments-domain"),
        ("apigateway-endpoint-type", "payments-api"),
        ("apigateway-no-data-trace", "prod-settings"),
        ("apigateway-stage-access-logging", "prod-stage"),
        ("apigateway-stage-xray-enabled", "prod-stage"),
        ("apigatewayv2-route-authorization", "partner-route"),
        ("apigatewayv2-stage-logging-throttling", "partner-stage"),
        ("backup-plan-daily", "daily"),
        ("backup-retention-minimum", "daily"),
        ("cloudwatch-alarm-actions", "errors-alarm"),
        ("cloudwatch-log-retention", "api-access"),
        ("cloudwatch-log-retention", "processor-logs"),
        ("dynamodb-deletion-protection", "transactions"),
        ("dynamodb-pitr-enabled", "transactions"),
        ("dynamodb-table-encrypted-with-cmk", "transactions"),
        ("iam-no-broad-managed-policies", "apigw-logs-attachment"),
        ("iam-no-kms-decrypt-on-all-keys", "processor-role"),
        ("iam-no-wildcard-actions", "processor-role"),
        ("iam-no-wildcard-data-actions", "processor-role"),
        ("iam-resources-named", "processor-role"),
        ("kms-key-deletion-window", "payments-key"),
        ("kms-key-rotation-enabled", "payments-key"),
        ("lambda-environment-encrypted", "processor"),
        ("lambda-function-url-authorized", "processor-url"),
        ("lambda-permission-source-bound", "api-invoke"),
        ("lambda-reserved-concurrency", "processor"),
        ("lambda-runtime-supported", "processor"),
        ("lambda-tracing-active", "processor"),
        ("no-public-resource-policy", "receipts-tls-only"),
        ("s3-encryption-kms-cmk", "receipts-encryption"),
        ("waf-web-acl-not-empty", "payments-waf"),
    }


def test_tag_value_a_pattern_must_judge_but_unknown_is_unable_to_run(
    pack: PolicyPackProcess,
) -> None:
    verdict, messages = resource_verdict(
        pack, "required-tags", bucket(tags=TAGS | {"MigrationDate": UNKNOWN})
    )

    assert verdict == "not-run"
    assert "can't run policy 'required-tags'" in messages[0]
    assert "during preview: string value at .tags.MigrationDate" in messages[0]


def test_stack_policy_needing_an_unknown_policy_document_is_unable_to_run(
    pack: PolicyPackProcess,
) -> None:
    stack = compliant_stack()
    stack["processor-role"] = with_inputs(
        stack["processor-role"], inlinePolicies=[{"name": "scoped", "policy": UNKNOWN}]
    )

    verdict, messages = stack_verdict(pack, "iam-role-region-restricted", stack, None)

    assert verdict == "not-run"
    assert "processor-role.inlinePolicies[0] can't be known during preview" in messages[0]


def test_region_deny_with_an_unknown_region_list_is_unable_to_run(
    pack: PolicyPackProcess,
) -> None:
    deny = {
        "Effect": "Deny",
        "Action": "*",
        "Resource": "*",
        "Condition": {"StringNotEquals": {"aws:RequestedRegion": [UNKNOWN]}},
    }
    stack = compliant_stack()
    stack["processor-role"] = with_inputs(
        stack["processor-role"],
        inlinePolicies=[{"name": "region", "policy": {"Statement": [deny]}}],
    )

    verdict, messages = stack_verdict(pack, "iam-role-region-restricted", stack, None)

    assert verdict == "not-run"
    assert (
        "value at .processor-role.inlinePolicies[0].Statement[0].Condition.StringNotEquals"
        ".aws:RequestedRegion[0] can't be known during preview" in messages[0]
    )


def test_known_region_deny_beside_an_unknown_document_still_passes(
    pack: PolicyPackProcess,
) -> None:
    stack = compliant_stack()
    role = stack["processor-role"]
    stack["processor-role"] = with_inputs(
        role, inlinePolicies=[*role.inputs["inlinePolicies"], {"name": "data", "policy": UNKNOWN}]
    )

    assert stack_verdict(pack, "iam-role-region-restricted", stack, "processor-role") == (
        "pass",
        [],
    )


TLS_POLICY = "s3-bucket-denies-insecure-transport"


@pytest.mark.parametrize(
    ("name", "inputs", "unknown_at"),
    [
        ("receipts-tls-only", {"policy": UNKNOWN}, "receipts-tls-only.policy"),
        (
            "receipts-tls-only",
            {"policy": {"Statement": [{"Effect": "Deny", "Resource": [UNKNOWN]}]}},
            "receipts-tls-only.policy.Statement[0].Resource[0]",
        ),
        ("receipts", {"bucket": UNKNOWN}, "receipts.bucket"),
    ],
    ids=["document", "value-in-document", "bucket-name"],
)
def test_bucket_policy_unknown_during_preview_is_unable_to_run(
    pack: PolicyPackProcess, name: str, inputs: dict[str, Any], unknown_at: str
) -> None:
    stack = compliant_stack()
    stack[name] = with_inputs(stack[name], **inputs)

    verdict, messages = stack_verdict(pack, TLS_POLICY, stack, None)

    assert verdict == "not-run"
    assert f"value at .{unknown_at} can't be known during preview" in messages[0]


def test_unknown_bucket_policy_still_lets_other_buckets_be_judged(
    pack: PolicyPackProcess,
) -> None:
    stack = compliant_stack()
    stack["receipts-tls-only"] = with_inputs(stack["receipts-tls-only"], policy=UNKNOWN)
    stack["orphan"] = resource("aws:s3/bucket:Bucket", "orphan", {"bucket": "orphan"}, protect=True)

    mine = [d for d in pack.analyze_stack(graph(stack)).diagnostics if d.policy_name == TLS_POLICY]

    assert sorted((d.unable_to_run, d.urn) for d in mine) == [
        (False, stack["orphan"].urn),
        (True, None),
    ]


# v6 and v7 type tokens


V6 = {
    "aws:s3/bucket:Bucket": "aws:s3/bucketV2:BucketV2",
    "aws:s3/bucketVersioning:BucketVersioning": "aws:s3/bucketVersioningV2:BucketVersioningV2",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": (
        "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2"
    ),
}


def as_v6(stack: dict[str, GraphResource]) -> dict[str, GraphResource]:
    renamed = {r.urn: r.urn.replace(r.type, V6.get(r.type, r.type)) for r in stack.values()}
    return {
        name: dataclasses.replace(
            r,
            urn=renamed[r.urn],
            type=V6.get(r.type, r.type),
            property_dependencies={
                key: tuple(renamed.get(u, u) for u in urns)
                for key, urns in r.property_dependencies.items()
            },
        )
        for name, r in stack.items()
    }


def test_v6_tokens_are_inspected_like_v7_ones(pack: PolicyPackProcess) -> None:
    stack = as_v6(compliant_stack())

    assert stack_verdict(pack, "s3-bucket-versioning", stack, "receipts") == ("pass", [])
    assert stack_verdict(pack, "s3-bucket-encrypted", stack, "receipts") == ("pass", [])
    assert resource_verdict(pack, "stateful-resources-protected", stack["receipts"]) == (
        "pass",
        [],
    )
    assert resource_verdict(pack, "required-tags", stack["receipts"]) == ("pass", [])
    assert stack_verdict(pack, TLS_POLICY, stack, "receipts") == ("pass", [])


def test_v6_tokens_fail_like_v7_ones(pack: PolicyPackProcess) -> None:
    stack = as_v6(compliant_stack())
    stack.pop("receipts-versioning")
    encryption = with_inputs(
        stack["receipts-encryption"],
        rules=[{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}],
    )

    assert stack_verdict(pack, "s3-bucket-versioning", stack, "receipts")[0] == "fail"
    assert resource_verdict(pack, "s3-encryption-kms-cmk", encryption)[0] == "fail"
    untagged = with_inputs(stack["receipts"], tags=...)
    assert resource_verdict(pack, "required-tags", untagged)[0] == "fail"
    stack.pop("receipts-tls-only")
    assert stack_verdict(pack, TLS_POLICY, stack, "receipts")[0] == "fail"


def test_legacy_inline_bucket_blocks_are_judged(pack: PolicyPackProcess) -> None:
    stack = {
        "legacy": resource(
            "aws:s3/bucket:Bucket",
            "legacy",
            {
                "versioning": {"enabled": False},
                "serverSideEncryptionConfiguration": {
                    "rule": {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}
                },
            },
            protect=True,
        )
    }

    assert stack_verdict(pack, "s3-bucket-versioning", stack, "legacy")[0] == "fail"
    verdict, messages = stack_verdict(pack, "s3-bucket-encrypted", stack, "legacy")
    assert verdict == "fail"
    assert "sseAlgorithm: 'AES256'" in messages[0]


# Odd shapes: each is reported or passed, never a crash

ODD_SHAPES: list[tuple[str, str, dict[str, Any], str]] = [
    ("dynamodb-pitr-enabled", "transactions", {"pointInTimeRecovery": None}, "fail"),
    ("dynamodb-pitr-enabled", "transactions", {"pointInTimeRecovery": [{"enabled": True}]}, "pass"),
    ("dynamodb-pitr-enabled", "transactions", {"pointInTimeRecovery": "yes"}, "fail"),
    ("required-tags", "receipts", {"tags": ["Environment", "production"]}, "fail"),
    ("required-tags", "receipts", {"tags": None}, "fail"),
    ("s3-encryption-kms-cmk", "receipts-encryption", {"rules": "AES256"}, "fail"),
    ("s3-encryption-kms-cmk", "receipts-encryption", {"rules": [None, 3]}, "fail"),
    ("backup-retention-minimum", "daily", {"rules": {"lifecycle": {"deleteAfter": "7"}}}, "fail"),
    ("backup-retention-minimum", "daily", {"rules": [{"lifecycle": None}]}, "pass"),
    ("iam-no-wildcard-data-actions", "processor-role", {"inlinePolicies": "{not json"}, "fail"),
    ("iam-no-wildcard-data-actions", "processor-role", {"inlinePolicies": [{"policy": 7}]}, "fail"),
    ("lambda-reserved-concurrency", "processor", {"reservedConcurrentExecutions": "ten"}, "fail"),
    ("lambda-runtime-supported", "processor", {"runtime": ["python3.12"]}, "fail"),
    (
        "apigateway-no-data-trace",
        "prod-settings",
        {"settings": [{"dataTraceEnabled": True}]},
        "fail",
    ),
    ("apigateway-stage-access-logging", "prod-stage", {"accessLogSettings": []}, "fail"),
    ("cloudwatch-log-retention", "api-access", {"retentionInDays": "thirty"}, "fail"),
    ("allowed-region", "alarms", {"region": {"name": "eu-west-1"}}, "fail"),
]


@pytest.mark.parametrize(
    ("policy", "name", "inputs", "expected"),
    ODD_SHAPES,
    ids=[f"{case[0]}-{index}" for index, case in enumerate(ODD_SHAPES)],
)
def test_odd_shapes_are_reported_or_judged_never_a_crash(
    pack: PolicyPackProcess, policy: str, name: str, inputs: dict[str, Any], expected: str
) -> None:
    odd = with_inputs(compliant_stack()[name], **inputs)

    assert resource_verdict(pack, policy, odd)[0] == expected


def test_odd_shapes_across_the_stack_are_reported_never_a_crash(pack: PolicyPackProcess) -> None:
    stack = compliant_stack()
    stack["tables"] = with_inputs(stack["tables"], resources={"arn": None})
    stack["prod-settings"] = with_inputs(stack["prod-settings"], settings="fast")
    stack["receipts-public-access"] = with_inputs(
        stack["receipts-public-access"], blockPublicAcls=[]
    )
    stack["processor-role"] = with_inputs(stack["processor-role"], inlinePolicies={"policy": "{}"})

    result = pack.analyze_stack(graph(stack))

    failed = {d.policy_name for d in result.diagnostics}
    assert failed == {
        "apigateway-stage-throttled",
        "s3-bucket-public-access-block",
        "iam-role-region-restricted",
    }


BUCKET_POLICY_ODD_SHAPES: list[tuple[str, dict[str, Any]]] = [
    ("receipts-tls-only", {"policy": 7}),
    ("receipts-tls-only", {"policy": "{not json"}),
    ("receipts-tls-only", {"policy": ...}),
    ("receipts-tls-only", {"policy": {"Statement": "deny"}}),
    ("receipts-tls-only", {"policy": {"Statement": [None, 3, []]}}),
    (
        "receipts-tls-only",
        {
            "policy": {
                "Statement": {
                    "Effect": "Deny",
                    "Principal": ["*"],
                    "Action": {"s3": "*"},
                    "Resource": None,
                    "Condition": {"Bool": "false"},
                }
            }
        },
    ),
    ("receipts", {"bucket": None}),
    ("receipts", {"bucket": ["receipts-123456789012"]}),
]


@pytest.mark.parametrize(
    ("name", "inputs"),
    BUCKET_POLICY_ODD_SHAPES,
    ids=[f"{case[0]}-{index}" for index, case in enumerate(BUCKET_POLICY_ODD_SHAPES)],
)
def test_odd_bucket_policy_shapes_are_violations_never_a_crash(
    pack: PolicyPackProcess, name: str, inputs: dict[str, Any]
) -> None:
    stack = compliant_stack()
    stack[name] = with_inputs(stack[name], **inputs)

    verdict, messages = stack_verdict(pack, TLS_POLICY, stack, None)

    assert verdict == "fail", messages


def test_resource_without_provider_cannot_prove_its_region(pack: PolicyPackProcess) -> None:
    alarms = compliant_stack()["alarms"]

    (diagnostic,) = pack.analyze(alarms, None).diagnostics

    assert diagnostic.policy_name == "allowed-region"
    assert "names no provider, so its region cannot be verified" in diagnostic.message
