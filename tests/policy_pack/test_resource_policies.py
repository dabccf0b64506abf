"""Every resource policy, failing and passing, through `Analyze` over the analyzer protocol."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from compliance.model.graph import UNKNOWN
from compliance.preview.analyzer import PolicyPackProcess
from tests.policy_pack.pack_harness import (
    TAGS,
    compliant_stack,
    configure,
    kms_encryption,
    provider,
    resource,
    resource_verdict,
    with_inputs,
)

pytestmark = pytest.mark.usefixtures("default_config")


WILDCARD_DATA = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*"}],
}


def role_allowing(*statements: dict[str, object]) -> dict[str, object]:
    document = {"Version": "2012-10-17", "Statement": list(statements)}
    return {"inlinePolicies": [{"name": "broad", "policy": json.dumps(document)}]}


PUBLIC_READ = {
    "Sid": "PublicRead",
    "Effect": "Allow",
    "Principal": "*",
    "Action": "s3:GetObject",
    "Resource": "*",
}

# (policy, resource in the compliant stack, inputs that break it, words the message must carry)
VIOLATIONS: list[tuple[str, str, dict[str, Any], str]] = [
    ("kms-key-rotation-enabled", "payments-key", {"enableKeyRotation": False}, "rotation"),
    (
        "s3-encryption-kms-cmk",
        "receipts-encryption",
        {"rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]},
        "'AES256'",
    ),
    (
        "s3-encryption-kms-cmk",
        "receipts-encryption",
        kms_encryption("alias/aws/s3"),
        "AWS-managed key 'alias/aws/s3'",
    ),
    (
        "s3-encryption-kms-cmk",
        "receipts-encryption",
        kms_encryption(UNKNOWN, bucket_key=False),
        "bucketKeyEnabled: False",
    ),
    ("dynamodb-table-encrypted-with-cmk", "transactions", {"serverSideEncryption": ...}, "None"),
    (
        "dynamodb-table-encrypted-with-cmk",
        "transactions",
        {"serverSideEncryption": {"enabled": True}},
        "no customer-managed KMS key",
    ),
    ("lambda-environment-encrypted", "processor", {"kmsKeyArn": ...}, "kmsKeyArn"),
    ("cloudwatch-log-group-encrypted", "api-access", {"kmsKeyId": ...}, "log group"),
    ("backup-vault-encrypted-with-cmk", "vault", {"kmsKeyArn": ""}, "seen: ''"),
    ("sns-topic-encrypted", "alarms", {"kmsMasterKeyId": "alias/aws/sns"}, "alias/aws/sns"),
    ("dynamodb-pitr-enabled", "transactions", {"pointInTimeRecovery": {"enabled": False}}, "off"),
    (
        "dynamodb-deletion-protection",
        "transactions",
        {"deletionProtectionEnabled": False},
        "(deletionProtectionEnabled: False)",
    ),
    ("dynamodb-deletion-protection", "transactions", {"deletionProtectionEnabled": ...}, ": None)"),
    (
        "backup-retention-minimum",
        "daily",
        {"rules": [{"ruleName": "daily", "lifecycle": {"deleteAfter": 7}}]},
        "7 days, fewer than the required 35",
    ),
    (
        "lambda-tracing-active",
        "processor",
        {"tracingConfig": {"mode": "PassThrough"}},
        "'PassThrough'",
    ),
    ("apigateway-stage-xray-enabled", "prod-stage", {"xrayTracingEnabled": ...}, "None"),
    ("required-tags", "receipts", {"tags": {"Environment": "production"}}, "MigrationDate"),
    ("required-tags", "alarms", {"tags": TAGS | {"MigratedFrom": ""}}, "['MigratedFrom']"),
    (
        "required-tags",
        "transactions",
        {"tags": TAGS | {"MigrationDate": "Tue Nov 26 2026"}},
        "'Tue Nov 26 2026' does not match",
    ),
    ("allowed-region", "transactions", {"region": "us-east-1"}, "'us-east-1'"),
    ("lambda-reserved-concurrency", "processor", {"reservedConcurrentExecutions": -1}, "-1"),
    (
        "apigateway-no-data-trace",
        "prod-settings",
        {"settings": {"throttlingRateLimit": 9, "dataTraceEnabled": True}},
        "dataTraceEnabled: True",
    ),
    ("apigateway-stage-access-logging", "prod-stage", {"accessLogSettings": ...}, "destinationArn"),
    ("cloudwatch-log-retention", "api-access", {"retentionInDays": 30}, "30 days"),
    ("cloudwatch-log-retention", "api-access", {"retentionInDays": ...}, "forever"),
    ("cloudwatch-log-retention", "api-access", {"retentionInDays": 0}, "forever"),
    ("cloudwatch-log-retention", "api-access", {"retentionInDays": 5000}, "more than the allowed"),
    (
        "backup-plan-daily",
        "daily",
        {"rules": [{"ruleName": "weekly", "schedule": "cron(0 3 ? * SUN *)"}]},
        "('weekly') backs up less often than daily (schedule: 'cron(0 3 ? * SUN *)')",
    ),
    (
        "backup-plan-daily",
        "daily",
        {"rules": [{"ruleName": "odd", "schedule": "rate(2 days)"}]},
        "(schedule: 'rate(2 days)')",
    ),
    ("backup-plan-daily", "daily", {"rules": [{"ruleName": "manual"}]}, "(schedule: None)"),
    (
        "lambda-permission-source-bound",
        "api-invoke",
        {"sourceArn": ...},
        "lets apigateway.amazonaws.com invoke the function on behalf of anyone",
    ),
    (
        "lambda-permission-source-bound",
        "api-invoke",
        {"sourceArn": ..., "principal": "*"},
        "lets * invoke",
    ),
    (
        "no-public-resource-policy",
        "receipts-tls-only",
        {"policy": json.dumps({"Statement": [PUBLIC_READ]})},
        "'PublicRead' allows 's3:GetObject' to every principal",
    ),
    (
        "no-public-resource-policy",
        "payments-key",
        {"policy": json.dumps({"Statement": [{**PUBLIC_READ, "Principal": {"AWS": ["*"]}}]})},
        "to every principal, anywhere, without a condition",
    ),
    ("apigatewayv2-route-authorization", "partner-route", {"authorizationType": ...}, "NONE"),
    (
        "apigatewayv2-route-authorization",
        "partner-api",
        {"target": "arn:aws:lambda:eu-west-1:123456789012:function:refunds"},
        "quick-created with a target",
    ),
    (
        "apigatewayv2-stage-logging-throttling",
        "partner-stage",
        {"accessLogSettings": ...},
        "lacks ['destinationArn', 'format']",
    ),
    (
        "apigatewayv2-stage-logging-throttling",
        "partner-stage",
        {"defaultRouteSettings": {"throttlingBurstLimit": 200}},
        "not throttled (throttlingRateLimit: None)",
    ),
    (
        "iam-no-broad-managed-policies",
        "apigw-logs-attachment",
        {"policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"},
        "AWS-managed policy AdministratorAccess",
    ),
    (
        "iam-no-broad-managed-policies",
        "processor-role",
        {"managedPolicyArns": ["arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess"]},
        "AmazonDynamoDBFullAccess",
    ),
    ("lambda-runtime-supported", "processor", {"runtime": "nodejs18.x"}, "'nodejs18.x'"),
    ("lambda-runtime-supported", "processor", {"runtime": "dotnet8"}, "since 2026-11-10"),
    (
        "iam-no-wildcard-data-actions",
        "processor-role",
        {"inlinePolicies": [{"name": "data", "policy": json.dumps(WILDCARD_DATA)}]},
        "['s3:GetObject']",
    ),
    (
        "iam-no-wildcard-data-actions",
        "processor-role",
        role_allowing({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::*"}),
        "['s3:GetObject'] on ['arn:aws:s3:::*']",
    ),
    (
        "iam-no-wildcard-data-actions",
        "processor-role",
        role_allowing(
            {
                "Effect": "Allow",
                "Action": ["dynamodb:Query"],
                "Resource": "arn:aws:dynamodb:*:*:table/transactions",
            }
        ),
        "['dynamodb:Query'] on ['arn:aws:dynamodb:*:*:table/transactions']",
    ),
    (
        "iam-no-wildcard-actions",
        "processor-role",
        role_allowing({"Effect": "Allow", "Action": ["logs:*"], "Resource": "*"}),
        "allows whole services or every action: ['logs:*']",
    ),
    (
        "iam-no-wildcard-actions",
        "processor-role",
        role_allowing(
            {"Effect": "Allow", "Action": "*", "Resource": "arn:aws:kms:eu-west-1:123:key/k"}
        ),
        "['*']",
    ),
    (
        "iam-no-wildcard-actions",
        "processor-role",
        role_allowing({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}),
        "allows every action except 'iam:*' (NotAction in an Allow statement)",
    ),
    (
        "iam-no-kms-decrypt-on-all-keys",
        "processor-role",
        role_allowing({"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}),
        "allows ['kms:Decrypt'] on every key (['*'])",
    ),
    (
        "iam-no-kms-decrypt-on-all-keys",
        "processor-role",
        role_allowing(
            {"Effect": "Allow", "Action": "kms:ReEncrypt*", "Resource": "arn:aws:kms:*:123:key/*"}
        ),
        "allows ['kms:ReEncryptFrom'] on every key",
    ),
    (
        "iam-resources-named",
        "processor-role",
        role_allowing(
            {"Effect": "Allow", "Action": "logs:CreateLogGroup", "Resource": "arn:aws:logs:*:*:*"}
        ),
        "allows ['logs:CreateLogGroup'] on ['arn:aws:logs:*:*:*'], not on named resources",
    ),
    ("force-destroy-off", "receipts", {"forceDestroy": True}, "(forceDestroy: True)"),
    ("force-destroy-off", "vault", {"forceDestroy": "true"}, "(forceDestroy: True)"),
    ("waf-web-acl-not-empty", "payments-waf", {"rules": []}, "(rules: [])"),
    ("sqs-queue-encrypted-with-cmk", "dead-letters", {"kmsMasterKeyId": ...}, "seen: None"),
    (
        "sqs-queue-encrypted-with-cmk",
        "dead-letters",
        {"kmsMasterKeyId": ..., "sqsManagedSseEnabled": True},
        "SQS-managed key, not a customer-managed",
    ),
    (
        "sqs-queue-encrypted-with-cmk",
        "dead-letters",
        {"kmsMasterKeyId": "alias/aws/sqs"},
        "AWS-managed key 'alias/aws/sqs'",
    ),
    ("kms-key-deletion-window", "payments-key", {"deletionWindowInDays": 7}, "7 days"),
    (
        "kms-key-policy-lockout-safety",
        "payments-key",
        {"bypassPolicyLockoutSafetyCheck": True},
        "skips the lockout safety check",
    ),
    ("cloudwatch-alarm-actions", "errors-alarm", {"alarmActions": []}, "notifies nobody"),
    ("cloudwatch-alarm-actions", "errors-alarm", {"actionsEnabled": False}, "disabled"),
    (
        "lambda-function-url-authorized",
        "processor-url",
        {"authorizationType": "NONE"},
        "invoke the function (authorizationType: 'NONE')",
    ),
    (
        "apigateway-cache-encrypted",
        "prod-settings",
        {"settings": {"cachingEnabled": True, "cacheDataEncrypted": False}},
        "unencrypted (cacheDataEncrypted: False)",
    ),
    ("apigateway-endpoint-type", "payments-api", {"endpointConfiguration": ...}, "edge-optimized"),
    (
        "apigateway-endpoint-type",
        "payments-api",
        {"endpointConfiguration": {"types": ["EDGE"]}},
        "['EDGE'] is not one of ['REGIONAL', 'PRIVATE']",
    ),
    (
        "apigateway-domain-tls",
        "payments-domain",
        {"securityPolicy": "TLS_1_0"},
        "older than 1.2 (securityPolicy: 'TLS_1_0')",
    ),
    ("waf-web-acl-not-empty", "payments-waf", {"rules": ...}, "(rules: None)"),
    ("waf-web-acl-not-empty", "payments-waf", {"rules": ..., "ruleJson": "[]"}, "(rules: [])"),
]

# Each resource policy and a resource it inspects (and passes) in the compliant stack.
EVALUATED_ON = {
    "kms-key-rotation-enabled": "payments-key",
    "s3-encryption-kms-cmk": "receipts-encryption",
    "dynamodb-table-encrypted-with-cmk": "transactions",
    "lambda-environment-encrypted": "processor",
    "cloudwatch-log-group-encrypted": "api-access",
    "backup-vault-encrypted-with-cmk": "vault",
    "sns-topic-encrypted": "alarms",
    "dynamodb-pitr-enabled": "transactions",
    "dynamodb-deletion-protection": "transactions",
    "backup-retention-minimum": "daily",
    "lambda-tracing-active": "processor",
    "apigateway-stage-xray-enabled": "prod-stage",
    "required-tags": "receipts",
    "allowed-region": "tables",
    "lambda-reserved-concurrency": "processor",
    "apigateway-no-data-trace": "prod-settings",
    "apigateway-stage-access-logging": "prod-stage",
    "cloudwatch-log-retention": "api-access",
    "lambda-runtime-supported": "processor",
    "iam-no-wildcard-data-actions": "processor-role",
    "iam-no-wildcard-actions": "processor-role",
    "iam-no-kms-decrypt-on-all-keys": "processor-role",
    "iam-resources-named": "processor-role",
    "stateful-resources-protected": "payments-key",
    "force-destroy-off": "receipts",
    "resource-kinds-judged": "receipts",
    "waf-web-acl-not-empty": "payments-waf",
    "sqs-queue-encrypted-with-cmk": "dead-letters",
    "kms-key-deletion-window": "payments-key",
    "kms-key-policy-lockout-safety": "payments-key",
    "cloudwatch-alarm-actions": "errors-alarm",
    "lambda-function-url-authorized": "processor-url",
    "apigateway-cache-encrypted": "prod-settings",
    "apigateway-endpoint-type": "payments-api",
    "apigateway-domain-tls": "payments-domain",
    "backup-plan-daily": "daily",
    "lambda-permission-source-bound": "api-invoke",
    "iam-no-broad-managed-policies": "processor-role",
    "no-public-resource-policy": "receipts-tls-only",
    "apigatewayv2-route-authorization": "partner-route",
    "apigatewayv2-stage-logging-throttling": "partner-stage",
}


@pytest.mark.parametrize(
    ("policy", "name", "inputs", "expected"),
    VIOLATIONS,
    ids=[f"{case[0]}-{index}" for index, case in enumerate(VIOLATIONS)],
)
def test_breaking_a_resource_is_a_violation_that_names_the_value_seen(
    pack: PolicyPackProcess, policy: str, name: str, inputs: dict[str, Any], expected: str
) -> None:
    broken = with_inputs(compliant_stack()[name], **inputs)

    verdict, messages = resource_verdict(pack, policy, broken)

    assert verdict == "fail"
    assert any(expected in message for message in messages), messages
    diagnostic = next(
        d for d in pack.analyze(broken, provider()).diagnostics if d.policy_name == policy
    )
    declared = pack.info().policy(policy)
    assert declared is not None
    assert diagnostic.enforcement is declared.enforcement
    assert diagnostic.urn == broken.urn


@pytest.mark.parametrize(("policy", "name"), sorted(EVALUATED_ON.items()))
def test_compliant_resource_is_evaluated_and_passes(
    pack: PolicyPackProcess, policy: str, name: str
) -> None:
    assert resource_verdict(pack, policy, compliant_stack()[name]) == ("pass", [])


def test_every_resource_policy_is_proven_both_ways(pack: PolicyPackProcess) -> None:
    resource_policies = {p.name for p in pack.info().policies if p.kind == "resource"}

    proven_elsewhere = {"stateful-resources-protected", "resource-kinds-judged"}
    assert {case[0] for case in VIOLATIONS} | proven_elsewhere == resource_policies
    assert set(EVALUATED_ON) == resource_policies


def test_compliant_stack_raises_no_resource_diagnostic(pack: PolicyPackProcess) -> None:
    for subject in compliant_stack().values():
        result = pack.analyze(subject, provider())
        assert result.diagnostics == (), subject.urn


def test_unprotected_stateful_resource_is_a_violation(pack: PolicyPackProcess) -> None:
    table = dataclasses.replace(compliant_stack()["transactions"], protect=False)

    verdict, messages = resource_verdict(pack, "stateful-resources-protected", table)

    assert verdict == "fail"
    assert "not protected from deletion (protect: False)" in messages[0]


def test_resources_of_other_types_are_not_applicable(pack: PolicyPackProcess) -> None:
    function = compliant_stack()["processor"]

    assert resource_verdict(pack, "dynamodb-pitr-enabled", function)[0] == "not-applicable"
    assert resource_verdict(pack, "stateful-resources-protected", function)[0] == ("not-applicable")


def test_provider_outside_allowed_regions_fails_every_aws_resource(
    pack: PolicyPackProcess,
) -> None:
    verdict, messages = resource_verdict(
        pack, "allowed-region", compliant_stack()["alarms"], provider(region="us-east-1")
    )

    assert verdict == "fail"
    assert "provider region 'us-east-1' is not in the allowed regions ['eu-west-1']" in messages[0]


def test_provider_without_region_fails_because_the_environment_would_decide(
    pack: PolicyPackProcess,
) -> None:
    verdict, messages = resource_verdict(
        pack, "allowed-region", compliant_stack()["alarms"], provider(region=None)
    )

    assert verdict == "fail"
    assert "provider region is not set" in messages[0]


def test_force_destroy_is_judged_only_where_the_resource_is_protected(
    pack: PolicyPackProcess,
) -> None:
    """An unprotected bucket (a dev stack's) may be force-destroyed; the protection policy says
    whether it should have been protected."""
    bucket = dataclasses.replace(
        with_inputs(compliant_stack()["receipts"], forceDestroy=True), protect=False
    )

    verdict, _ = resource_verdict(pack, "force-destroy-off", bucket)

    assert verdict == "not-applicable"
    assert resource_verdict(pack, "stateful-resources-protected", bucket)[0] == "fail"


@pytest.mark.parametrize(
    ("schedule", "verdict"),
    [
        ("cron(0 3 * * ? *)", "pass"),
        ("cron(0 */6 ? * * *)", "pass"),
        ("rate(12 hours)", "pass"),
        ("rate(1 day)", "pass"),
        ("cron(0 3 1 * ? *)", "fail"),
        ("cron(0 3 ? * MON-FRI *)", "fail"),
        ("rate(7 days)", "fail"),
        ("every day", "fail"),
    ],
)
def test_a_backup_rule_runs_daily_or_more_often(
    pack: PolicyPackProcess, schedule: str, verdict: str
) -> None:
    plan = with_inputs(compliant_stack()["daily"], rules=[{"ruleName": "r", "schedule": schedule}])

    assert resource_verdict(pack, "backup-plan-daily", plan)[0] == verdict


def test_a_backup_vault_access_policy_open_to_everyone_is_public(pack: PolicyPackProcess) -> None:
    everyone = {**PUBLIC_READ, "Sid": "Everyone", "Action": "backup:*"}
    access = resource(
        "aws:backup/vaultPolicy:VaultPolicy",
        "vault-access",
        {"backupVaultName": "payments-vault", "policy": json.dumps({"Statement": [everyone]})},
        tagged=False,
    )

    verdict, messages = resource_verdict(pack, "no-public-resource-policy", access)

    assert verdict == "fail"
    assert "'Everyone' allows 'backup:*' to every principal" in messages[0]


def test_a_public_statement_restricted_by_a_condition_or_a_deny_is_not_public(
    pack: PolicyPackProcess,
) -> None:
    restricted = {
        **PUBLIC_READ,
        "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}},
    }
    denied = {**PUBLIC_READ, "Effect": "Deny"}
    policy = with_inputs(
        compliant_stack()["receipts-tls-only"],
        policy=json.dumps({"Statement": [restricted, denied]}),
    )

    assert resource_verdict(pack, "no-public-resource-policy", policy) == ("pass", [])


@pytest.mark.parametrize("route", ["GET /health", "$default"])
def test_an_allow_listed_route_may_be_public(pack: PolicyPackProcess, route: str) -> None:
    configure(pack, {"apigatewayv2-route-authorization": {"publicRoutes": [route]}})
    public = with_inputs(
        compliant_stack()["partner-route"], routeKey=route, authorizationType="NONE"
    )

    assert resource_verdict(pack, "apigatewayv2-route-authorization", public) == ("pass", [])
