"""Every stack policy, failing and passing, through `AnalyzeStack` over the analyzer protocol."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable

import pytest
import yaml

from compliance.model.graph import UNKNOWN, GraphResource
from compliance.preview.analyzer import PolicyPackProcess
from tests.policy_pack.pack_harness import (
    REGION_DENY,
    compliant_stack,
    configure,
    graph,
    resource,
    stack_verdict,
    tls_only_document,
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


def composed(*changes: Callable[[Stack], Stack]) -> Callable[[Stack], Stack]:
    def change(stack: Stack) -> Stack:
        for step in changes:
            stack = step(stack)
        return stack

    return change


def without_validator(validator_id: object) -> Callable[[Stack], Stack]:
    """The stack with no request validator and the method naming `validator_id` (`...`: none)."""
    return composed(
        without("payments-validator"),
        unlinked("post-payment", "requestValidatorId"),
        changed("post-payment", requestValidatorId=validator_id),
    )


def default_logging(function_name: str | None) -> Callable[[Stack], Stack]:
    """The processor named `function_name` (None: auto-named), with no logging config, so it
    writes to Lambda's default group."""

    def change(stack: Stack) -> Stack:
        inputs = {**stack["processor"].inputs, "name": function_name}
        inputs.pop("loggingConfig")
        if function_name is None:
            inputs.pop("name")
        return stack | {"processor": dataclasses.replace(stack["processor"], inputs=inputs)}

    return change


def named_log_group(group_name: str) -> Callable[[Stack], Stack]:
    def change(stack: Stack) -> Stack:
        inputs = {**stack["processor-logs"].inputs, "name": group_name}
        return stack | {
            "processor-logs": dataclasses.replace(stack["processor-logs"], inputs=inputs)
        }

    return change


RECEIPTS_OBJECTS = ["arn:aws:s3:::receipts-123456789012/"]
TRANSACTIONS_ARN = ["arn:aws:dynamodb:eu-west-1:123456789012:table/transactions"]


def with_selectors(
    *,
    readWriteType: str = "All",
    s3: list[str] = RECEIPTS_OBJECTS,
    table: list[str] = TRANSACTIONS_ARN,
) -> Callable[[Stack], Stack]:
    selector = {
        "readWriteType": readWriteType,
        "dataResources": [
            {"type": "AWS::S3::Object", "values": s3},
            {"type": "AWS::DynamoDB::Table", "values": table},
        ],
    }
    return changed("audit-trail", eventSelectors=[selector])


def advanced(*field_selectors: dict[str, object]) -> dict[str, object]:
    return {
        "name": "data",
        "fieldSelectors": [{"field": "eventCategory", "equals": ["Data"]}, *field_selectors],
    }


def openapi(operations: dict[str, object], **top: object) -> dict[str, object]:
    """An OpenAPI document declaring `operations` on /payments, with an API key and a SigV4
    scheme to refer to."""
    schemes = {
        "key": {"type": "apiKey", "name": "x-api-key", "in": "header"},
        "sigv4": {
            "type": "apiKey",
            "name": "Authorization",
            "in": "header",
            "x-amazon-apigateway-authtype": "awsSigv4",
        },
    }
    return {
        "openapi": "3.0.1",
        "paths": {"/payments": operations},
        "components": {"securitySchemes": schemes},
        **top,
    }


DENY_DELETION: dict[str, object] = {
    "Effect": "Deny",
    "Principal": "*",
    "Action": ["backup:DeleteRecoveryPoint", "backup:UpdateRecoveryPointLifecycle"],
    "Resource": "*",
}


def with_vault_policy(statement: dict[str, object]) -> Callable[[Stack], Stack]:
    def change(stack: Stack) -> Stack:
        document = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
        vault_policy = resource(
            "aws:backup/vaultPolicy:VaultPolicy",
            "vault-policy",
            {"policy": document},
            links={"backupVaultName": stack["vault"]},
            tagged=False,
        )
        return stack | {"vault-policy": vault_policy}

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
    (
        "s3-bucket-denies-insecure-transport",
        without("receipts-tls-only"),
        "receipts",
        "bucket has no bucket policy, so nothing denies requests without TLS",
    ),
    (
        "s3-bucket-denies-insecure-transport",
        changed("receipts-tls-only", policy=json.dumps({"Statement": [{"Effect": "Allow"}]})),
        "receipts-tls-only",
        "does not deny s3:* to every principal on arn:aws:s3:::receipts-123456789012 and "
        "arn:aws:s3:::receipts-123456789012/* when aws:SecureTransport is false "
        "(statements seen: ['Allow'])",
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
        "no policy of the role denies every action outside ['eu-west-1']",
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
    (
        "apigateway-request-validation",
        without_validator(...),
        "post-payment",
        "method POST /payments has no request validator of this stack: its body reaches the "
        "integration unchecked (requestValidatorId: None)",
    ),
    (
        "apigateway-request-validation",
        without_validator("abc123"),
        "post-payment",
        "(requestValidatorId: 'abc123')",
    ),
    (
        "apigateway-request-validation",
        changed("payments-validator", validateRequestBody=False),
        "post-payment",
        "uses a request validator that does not check the body (validateRequestBody: False)",
    ),
    (
        "s3-bucket-acls-disabled",
        without("receipts-ownership"),
        "receipts",
        "bucket has no ownership controls: its ACLs still grant access",
    ),
    (
        "s3-bucket-acls-disabled",
        changed("receipts-ownership", rule={"objectOwnership": "ObjectWriter"}),
        "receipts-ownership",
        "object ownership is 'ObjectWriter', not 'BucketOwnerEnforced'",
    ),
    (
        "audit-trail-records-data-access",
        without("audit-trail"),
        "receipts",
        "no CloudTrail trail of the stack records reads and writes of its objects",
    ),
    (
        "audit-trail-records-data-access",
        without("audit-trail"),
        "transactions",
        "records reads and writes of its items (data events for AWS::DynamoDB::Table)",
    ),
    (
        "audit-trail-records-data-access",
        with_selectors(readWriteType="ReadOnly"),
        "receipts",
        "no CloudTrail trail of the stack records writes of its objects",
    ),
    (
        "audit-trail-records-data-access",
        with_selectors(s3=["arn:aws:s3:::receipts-123456789012/invoices/"]),
        "receipts",
        "records reads and writes of its objects",
    ),
    (
        "audit-trail-records-data-access",
        with_selectors(table=["arn:aws:dynamodb:eu-west-1:123456789012:table/customers"]),
        "transactions",
        "records reads and writes of its items",
    ),
    (
        "audit-trail-records-data-access",
        changed("audit-trail", enableLogFileValidation=False),
        "audit-trail",
        "trail does not validate its log files",
    ),
    (
        "audit-trail-records-data-access",
        changed("audit-trail", kmsKeyId=...),
        "audit-trail",
        "trail does not encrypt its log files with a KMS key",
    ),
    (
        "audit-trail-records-data-access",
        changed("audit-trail", enableLogging=False),
        "receipts",
        "no CloudTrail trail of the stack records reads and writes",
    ),
    (
        "apigateway-method-authorization",
        changed("payments-api", body=json.dumps(openapi({"post": {}}))),
        "payments-api",
        "OpenAPI body declares POST /payments without authorization and it is not an allowed "
        "public path []",
    ),
    (
        "apigateway-method-authorization",
        changed(
            "payments-api", body=yaml.safe_dump(openapi({"x-amazon-apigateway-any-method": {}}))
        ),
        "payments-api",
        "OpenAPI body declares ANY /payments without authorization",
    ),
    (
        "apigateway-method-authorization",
        changed("payments-api", body=json.dumps(openapi({"get": {"security": [{"key": []}]}}))),
        "payments-api",
        "OpenAPI body declares GET /payments without authorization",
    ),
    (
        "apigateway-method-authorization",
        changed(
            "payments-api",
            body=json.dumps(openapi({"get": {"security": []}}, security=[{"sigv4": []}])),
        ),
        "payments-api",
        "OpenAPI body declares GET /payments without authorization",
    ),
    (
        "apigateway-method-authorization",
        changed("payments-api", body="paths: [unclosed"),
        "payments-api",
        "body is not an OpenAPI document",
    ),
    (
        "backup-vault-locked",
        without("vault-lock"),
        "vault",
        "vault has no lock configuration and no access policy denying backup:DeleteRecoveryPoint",
    ),
    (
        "backup-vault-locked",
        composed(
            without("vault-lock"),
            with_vault_policy(
                {**DENY_DELETION, "Principal": {"AWS": "arn:aws:iam::123456789012:root"}}
            ),
        ),
        "vault",
        "its recovery points can be deleted by hand",
    ),
    (
        "backup-vault-locked",
        composed(without("vault-lock"), with_vault_policy({**DENY_DELETION, "Effect": "Allow"})),
        "vault",
        "its recovery points can be deleted by hand",
    ),
    (
        "s3-bucket-lifecycle",
        without("receipts-lifecycle"),
        "receipts",
        "bucket has no lifecycle configuration",
    ),
    (
        "s3-bucket-lifecycle",
        changed("receipts-lifecycle", rules=[{"id": "off", "status": "Disabled"}]),
        "receipts-lifecycle",
        "no enabled rule (statuses: ['Disabled'])",
    ),
    (
        "lambda-logs-own-group",
        composed(
            without("processor-logs"),
            unlinked("processor", "loggingConfig"),
            default_logging(None),
        ),
        "processor",
        'function logs to "Lambda\'s default log group", a log group the stack does not manage',
    ),
    (
        "lambda-logs-own-group",
        composed(
            unlinked("processor", "loggingConfig"),
            default_logging("processor-prod"),
        ),
        "processor",
        "function logs to '/aws/lambda/processor-prod', a log group the stack does not manage",
    ),
    (
        "waf-web-acl-logging",
        without("payments-waf-logging"),
        "payments-waf",
        "web ACL has no logging configuration",
    ),
    (
        "waf-web-acl-logging",
        changed("payments-waf-logging", logDestinationConfigs=[]),
        "payments-waf-logging",
        "names no destination (logDestinationConfigs: [])",
    ),
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


@pytest.mark.parametrize("http_method", ["GET", "DELETE", "OPTIONS"])
def test_a_method_without_a_body_needs_no_request_validator(
    pack: PolicyPackProcess, http_method: str
) -> None:
    stack = without_validator(...)(compliant_stack())
    stack = changed("post-payment", httpMethod=http_method)(stack)

    assert stack_verdict(pack, "apigateway-request-validation", stack, "post-payment")[0] == "pass"


def test_a_validator_named_by_its_known_id_counts(pack: PolicyPackProcess) -> None:
    stack = unlinked("post-payment", "requestValidatorId")(compliant_stack())
    stack = changed("payments-validator", id="abc123")(stack)
    stack = changed("post-payment", requestValidatorId="abc123")(stack)

    assert stack_verdict(pack, "apigateway-request-validation", stack, "post-payment")[0] == "pass"


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


RECEIPTS_ARN = "arn:aws:s3:::receipts-123456789012"


def tls_deny(**changes: object) -> dict[str, object]:
    """The compliant stack's TLS deny statement with some fields replaced (`...` removes one)."""
    (statement,) = tls_only_document("receipts-123456789012")["Statement"]
    return {k: v for k, v in (statement | changes).items() if v is not ...}


def with_tls_policy(document: object) -> Stack:
    return changed("receipts-tls-only", policy=document)(compliant_stack())


# Statements that look like a TLS deny but leave some request over plain HTTP allowed.
NEAR_MISSES: dict[str, dict[str, object]] = {
    "allow-instead-of-deny": tls_deny(Effect="Allow"),
    "one-principal-only": tls_deny(Principal={"AWS": "arn:aws:iam::123456789012:root"}),
    "not-every-principal": tls_deny(Principal=..., NotPrincipal={"AWS": "arn:aws:iam::1:root"}),
    "writes-only": tls_deny(Action=["s3:PutObject", "s3:DeleteObject"]),
    "bucket-but-not-objects": tls_deny(Resource=RECEIPTS_ARN),
    "objects-but-not-bucket": tls_deny(Resource=f"{RECEIPTS_ARN}/*"),
    "some-objects-only": tls_deny(Resource=[RECEIPTS_ARN, f"{RECEIPTS_ARN}/public/*"]),
    "another-bucket": tls_deny(Resource=["arn:aws:s3:::other", "arn:aws:s3:::other/*"]),
    "secure-requests-denied": tls_deny(Condition={"Bool": {"aws:SecureTransport": "true"}}),
    "old-tls-only": tls_deny(Condition={"NumericLessThan": {"s3:TlsVersion": "1.2"}}),
    "narrowed-to-one-network": tls_deny(
        Condition={
            "Bool": {"aws:SecureTransport": "false"},
            "IpAddress": {"aws:SourceIp": "203.0.113.0/24"},
        }
    ),
    "no-condition-key": tls_deny(Condition=...),
}


@pytest.mark.parametrize("statement", NEAR_MISSES.values(), ids=NEAR_MISSES.keys())
def test_bucket_policy_short_of_denying_all_plain_http_is_a_violation(
    pack: PolicyPackProcess, statement: dict[str, object]
) -> None:
    stack = with_tls_policy(json.dumps({"Statement": [statement]}))

    verdict, messages = stack_verdict(
        pack, "s3-bucket-denies-insecure-transport", stack, "receipts-tls-only"
    )

    assert verdict == "fail"
    assert "when aws:SecureTransport is false" in messages[0]


# The same deny, written the other ways IAM accepts.
EQUIVALENT_DOCUMENTS: dict[str, object] = {
    "document-as-object": {"Statement": [tls_deny()]},
    "single-statement-object": json.dumps({"Statement": tls_deny()}),
    "lists-and-wildcards": json.dumps(
        {
            "Statement": [
                tls_deny(
                    Principal={"AWS": ["*"]},
                    Action=["s3:GetObject", "s3:*"],
                    Resource=f"{RECEIPTS_ARN}*",
                    Condition={"BoolIfExists": {"aws:securetransport": False}},
                )
            ]
        }
    ),
    "every-action-and-resource": json.dumps(
        {
            "Statement": [
                {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"},
                tls_deny(
                    Action="*", Resource="*", Condition={"Bool": {"aws:SecureTransport": ["false"]}}
                ),
            ]
        }
    ),
}


@pytest.mark.parametrize("document", EQUIVALENT_DOCUMENTS.values(), ids=EQUIVALENT_DOCUMENTS.keys())
def test_bucket_policy_denying_plain_http_passes_in_any_shape(
    pack: PolicyPackProcess, document: object
) -> None:
    stack = with_tls_policy(document)

    assert stack_verdict(pack, "s3-bucket-denies-insecure-transport", stack, None) == ("pass", [])


def test_bucket_policy_linked_by_the_bucket_name_counts(pack: PolicyPackProcess) -> None:
    stack = unlinked("receipts-tls-only", "bucket")(compliant_stack())
    stack = changed("receipts-tls-only", bucket="receipts-123456789012")(stack)

    assert stack_verdict(pack, "s3-bucket-denies-insecure-transport", stack, None) == ("pass", [])


def test_bucket_policy_of_another_bucket_leaves_this_one_uncovered(pack: PolicyPackProcess) -> None:
    stack = unlinked("receipts-tls-only", "bucket")(compliant_stack())

    verdict, messages = stack_verdict(
        pack, "s3-bucket-denies-insecure-transport", stack, "receipts"
    )

    assert verdict == "fail"
    assert "bucket has no bucket policy" in messages[0]


@pytest.mark.parametrize(("enabled", "verdict"), [(True, "pass"), (False, "fail")])
def test_a_v6_buckets_inline_lifecycle_rules_are_judged_in_place(
    pack: PolicyPackProcess, enabled: bool, verdict: str
) -> None:
    stack = without("receipts-lifecycle")(compliant_stack())
    stack = changed("receipts", lifecycleRules=[{"id": "expire", "enabled": enabled}])(stack)

    assert stack_verdict(pack, "s3-bucket-lifecycle", stack, "receipts")[0] == verdict


def test_two_functions_sharing_a_log_group_fail_and_a_named_own_group_passes(
    pack: PolicyPackProcess,
) -> None:
    stack = compliant_stack()
    second = dataclasses.replace(
        stack["processor"], urn=stack["processor"].urn.replace("processor", "validator")
    )
    shared = stack | {"validator": second}

    verdict, messages = stack_verdict(pack, "lambda-logs-own-group", shared, "validator")
    assert verdict == "fail"
    assert any("shares its log group with processor" in message for message in messages)

    named = composed(
        unlinked("processor", "loggingConfig"),
        default_logging("processor-prod"),
        named_log_group("/aws/lambda/processor-prod"),
    )(stack)
    assert stack_verdict(pack, "lambda-logs-own-group", named, "processor")[0] == "pass"


@pytest.mark.parametrize(
    "statement",
    [
        DENY_DELETION,
        {**DENY_DELETION, "Action": "backup:*"},
        {**DENY_DELETION, "Principal": {"AWS": "*"}},
    ],
)
def test_a_vault_policy_denying_deletion_to_everyone_stands_in_for_a_lock(
    pack: PolicyPackProcess, statement: dict[str, object]
) -> None:
    stack = composed(without("vault-lock"), with_vault_policy(statement))(compliant_stack())

    assert stack_verdict(pack, "backup-vault-locked", stack, "vault") == ("pass", [])


def test_a_vault_policy_unknown_in_preview_cannot_stand_in_for_a_lock(
    pack: PolicyPackProcess,
) -> None:
    stack = composed(without("vault-lock"), with_vault_policy(DENY_DELETION))(compliant_stack())
    stack = changed("vault-policy", policy=UNKNOWN)(stack)

    assert stack_verdict(pack, "backup-vault-locked", stack, "vault")[0] == "not-run"


@pytest.mark.parametrize(
    "selectors",
    [
        {
            "eventSelectors": [
                {
                    "dataResources": [
                        {"type": "AWS::S3::Object", "values": ["arn:aws:s3"]},
                        {"type": "AWS::DynamoDB::Table", "values": ["arn:aws:dynamodb"]},
                    ]
                }
            ]
        },
        {
            "eventSelectors": [
                {
                    "readWriteType": "ReadOnly",
                    "dataResources": [
                        {"type": "AWS::S3::Object", "values": RECEIPTS_OBJECTS},
                        {"type": "AWS::DynamoDB::Table", "values": TRANSACTIONS_ARN},
                    ],
                },
                {
                    "readWriteType": "WriteOnly",
                    "dataResources": [
                        {"type": "AWS::S3::Object", "values": RECEIPTS_OBJECTS},
                        {"type": "AWS::DynamoDB::Table", "values": TRANSACTIONS_ARN},
                    ],
                },
            ]
        },
        {
            "eventSelectors": [],
            "advancedEventSelectors": [
                advanced(
                    {"field": "resources.type", "equals": ["AWS::S3::Object"]},
                    {"field": "resources.ARN", "startsWith": RECEIPTS_OBJECTS},
                ),
                advanced({"field": "resources.type", "equals": ["AWS::DynamoDB::Table"]}),
            ],
        },
        {
            "eventSelectors": UNKNOWN,
            "advancedEventSelectors": [
                advanced({"field": "resources.type", "equals": ["AWS::S3::Object"]}),
                advanced(
                    {"field": "resources.type", "equals": ["AWS::DynamoDB::Table"]},
                    {"field": "resources.ARN", "equals": TRANSACTIONS_ARN},
                ),
            ],
        },
    ],
    ids=[
        "all-buckets-and-tables",
        "read-and-write-selectors",
        "advanced",
        "advanced-beside-unknown",
    ],
)
def test_data_events_recorded_in_any_selector_shape_pass(
    pack: PolicyPackProcess, selectors: dict[str, object]
) -> None:
    stack = changed("audit-trail", **selectors)(compliant_stack())

    for subject in ("receipts", "transactions", "audit-trail"):
        assert stack_verdict(pack, "audit-trail-records-data-access", stack, subject) == (
            "pass",
            [],
        )


@pytest.mark.parametrize(
    "narrowed",
    [
        advanced(
            {"field": "resources.type", "equals": ["AWS::S3::Object"]},
            {"field": "eventName", "equals": ["GetObject"]},
        ),
        advanced(
            {"field": "resources.type", "equals": ["AWS::S3::Object"]},
            {"field": "readOnly", "equals": ["true"]},
        ),
        advanced(
            {"field": "resources.type", "equals": ["AWS::S3::Object"]},
            {"field": "resources.ARN", "notStartsWith": ["arn:aws:s3:::other/"]},
        ),
    ],
    ids=["some-events", "reads-only", "exclusions"],
)
def test_an_advanced_selector_short_of_all_access_does_not_record_it(
    pack: PolicyPackProcess, narrowed: dict[str, object]
) -> None:
    stack = changed("audit-trail", eventSelectors=[], advancedEventSelectors=[narrowed])(
        compliant_stack()
    )

    assert stack_verdict(pack, "audit-trail-records-data-access", stack, "receipts")[0] == "fail"


def test_selectors_unknown_in_preview_leave_the_policy_unable_to_run(
    pack: PolicyPackProcess,
) -> None:
    stack = changed("audit-trail", eventSelectors=UNKNOWN, advancedEventSelectors=UNKNOWN)(
        compliant_stack()
    )

    assert stack_verdict(pack, "audit-trail-records-data-access", stack, "receipts")[0] == "not-run"


def test_the_bucket_a_trail_writes_to_is_the_record_itself(pack: PolicyPackProcess) -> None:
    stack = compliant_stack()
    stack["audit-logs"] = resource(
        "aws:s3/bucket:Bucket", "audit-logs", {"bucket": "audit-logs-123456789012"}, protect=True
    )

    assert stack_verdict(pack, "audit-trail-records-data-access", stack, "audit-logs") == (
        "pass",
        [],
    )


@pytest.mark.parametrize(
    "document",
    [
        openapi({"post": {"security": [{"sigv4": []}]}}),
        openapi({"post": {}}, security=[{"sigv4": []}]),
        openapi({"post": {"x-amazon-apigateway-auth": {"type": "AWS_IAM"}}}),
        openapi({"post": {"security": [{"key": [], "sigv4": []}]}, "parameters": []}),
    ],
    ids=["operation-security", "document-security", "iam-extension", "key-and-sigv4"],
)
def test_an_openapi_body_whose_operations_require_authorization_passes(
    pack: PolicyPackProcess, document: dict[str, object]
) -> None:
    stack = changed("payments-api", body=json.dumps(document))(compliant_stack())

    assert stack_verdict(pack, "apigateway-method-authorization", stack, "payments-api") == (
        "pass",
        [],
    )


def test_an_openapi_operation_on_a_public_path_may_skip_authorization(
    pack: PolicyPackProcess,
) -> None:
    stack = changed("payments-api", body=json.dumps(openapi({"get": {}})))(compliant_stack())
    configure(pack, {"apigateway-method-authorization": {"publicPaths": ["GET /payments"]}})

    assert stack_verdict(pack, "apigateway-method-authorization", stack, "payments-api") == (
        "pass",
        [],
    )


def test_a_body_built_from_outputs_is_unable_to_run_and_a_computed_one_is_no_body(
    pack: PolicyPackProcess,
) -> None:
    computed = changed("payments-api", body=UNKNOWN)(compliant_stack())
    assert stack_verdict(pack, "apigateway-method-authorization", computed, "payments-api")[0] == (
        "pass"
    )
    built = dict(computed)
    built["payments-api"] = dataclasses.replace(
        built["payments-api"], property_dependencies={"body": (built["processor"].urn,)}
    )
    assert stack_verdict(pack, "apigateway-method-authorization", built, "payments-api")[0] == (
        "not-run"
    )


ELSEWHERE = "legacy-card-exports"


def stray(type_: str, inputs: dict[str, object]) -> GraphResource:
    return resource(type_, "stray", inputs, tagged=False)


# (policy, a resource judged only through what it configures, (its reference, its kind's label, the
# kind it configures)): each one configuring a resource outside the stack.
STRAYS: list[tuple[str, GraphResource, tuple[str, str, str]]] = [
    (
        "s3-bucket-public-access-block",
        stray(
            "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
            {"bucket": ELSEWHERE, "blockPublicAcls": False},
        ),
        ("bucket", "an S3 public access block", "S3 bucket"),
    ),
    (
        "s3-bucket-acls-disabled",
        stray(
            "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
            {"bucket": ELSEWHERE, "rule": {"objectOwnership": "ObjectWriter"}},
        ),
        ("bucket", "S3 bucket ownership controls", "S3 bucket"),
    ),
    (
        "s3-bucket-versioning",
        stray(
            "aws:s3/bucketVersioningV2:BucketVersioningV2",
            {"bucket": ELSEWHERE, "versioningConfiguration": {"status": "Suspended"}},
        ),
        ("bucket", "an S3 bucket versioning", "S3 bucket"),
    ),
    (
        "s3-bucket-denies-insecure-transport",
        stray(
            "aws:s3/bucketPolicy:BucketPolicy",
            {"bucket": ELSEWHERE, "policy": json.dumps({"Statement": []})},
        ),
        ("bucket", "an S3 bucket policy", "S3 bucket"),
    ),
    (
        "s3-bucket-lifecycle",
        stray(
            "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
            {"bucket": ELSEWHERE, "rules": [{"id": "purge", "status": "Enabled"}]},
        ),
        ("bucket", "an S3 bucket lifecycle configuration", "S3 bucket"),
    ),
    (
        "backup-vault-locked",
        stray(
            "aws:backup/vaultLockConfiguration:VaultLockConfiguration",
            {"backupVaultName": ELSEWHERE, "minRetentionDays": 1},
        ),
        ("backupVaultName", "a backup vault lock configuration", "backup vault"),
    ),
    (
        "backup-vault-locked",
        stray(
            "aws:backup/vaultPolicy:VaultPolicy",
            {"backupVaultName": ELSEWHERE, "policy": json.dumps({"Statement": []})},
        ),
        ("backupVaultName", "a backup vault access policy", "backup vault"),
    ),
    (
        "iam-role-region-restricted",
        stray(
            "aws:iam/rolePolicy:RolePolicy",
            {
                "role": ELSEWHERE,
                "policy": json.dumps(
                    {"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
                ),
            },
        ),
        ("role", "an IAM role policy", "IAM role"),
    ),
    (
        "apigateway-stage-throttled",
        stray(
            "aws:apigateway/methodSettings:MethodSettings",
            {
                "restApi": "a1b2c3",
                "stageName": "prod",
                "methodPath": "*/*",
                "settings": {"throttlingRateLimit": 0, "throttlingBurstLimit": 0},
            },
        ),
        ("stageName", "API Gateway method settings", "API Gateway REST stage"),
    ),
    (
        "waf-web-acl-logging",
        stray(
            "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration",
            {"resourceArn": f"arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/{ELSEWHERE}/1"},
        ),
        ("resourceArn", "a WAF logging configuration", "WAF web ACL"),
    ),
]


def reported(messages: list[str]) -> list[str]:
    """The messages without the policy description the engine puts before each."""
    return [message.partition("\n")[2] for message in messages]


def unjudged(label: str, named: str, target: str) -> str:
    return (
        f"{label} with {named} configures no {target} of this stack: it is judged only through "
        "the resource it configures, so it has not been judged; declare (or import) that resource "
        "in the stack"
    )


@pytest.mark.parametrize(
    ("policy", "stray", "described"),
    STRAYS,
    ids=[f"{case[0]}-{case[1].type.rpartition(':')[2]}" for case in STRAYS],
)
def test_a_configuration_of_nothing_in_the_stack_is_a_violation_not_a_pass(
    pack: PolicyPackProcess, policy: str, stray: GraphResource, described: tuple[str, str, str]
) -> None:
    prop, label, target = described
    stack = compliant_stack() | {"stray": stray}

    verdict, messages = stack_verdict(pack, policy, stack, "stray")

    assert verdict == "fail"
    assert reported(messages) == [unjudged(label, f"{prop} {stray.inputs[prop]!r}", target)]
    diagnostics = pack.analyze_stack(graph(stack)).diagnostics
    assert [d.urn for d in diagnostics if d.policy_name == policy] == [stray.urn]


def test_a_stray_configuration_alone_is_judged_not_inapplicable(pack: PolicyPackProcess) -> None:
    _, stray, *_ = STRAYS[2]

    verdict, messages = stack_verdict(pack, "s3-bucket-versioning", {"stray": stray}, "stray")

    assert verdict == "fail"
    assert reported(messages) == [
        unjudged("an S3 bucket versioning", f"bucket {ELSEWHERE!r}", "S3 bucket")
    ]


@pytest.mark.parametrize(
    ("bucket", "named"),
    [(UNKNOWN, "a bucket known only after deployment"), (..., "no bucket")],
    ids=["unknown", "missing"],
)
def test_a_configuration_whose_reference_leads_nowhere_in_the_stack_is_a_violation(
    pack: PolicyPackProcess, bucket: object, named: str
) -> None:
    stack = unlinked("receipts-versioning", "bucket")(compliant_stack())
    stack = changed("receipts-versioning", bucket=bucket)(stack)

    verdict, messages = stack_verdict(pack, "s3-bucket-versioning", stack, "receipts-versioning")

    assert verdict == "fail"
    assert reported(messages) == [unjudged("an S3 bucket versioning", named, "S3 bucket")]
