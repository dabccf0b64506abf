"""The pack on the two stacks that matter: the seed's defects fail, our own stack passes."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from compliance.model.findings import Enforcement
from compliance.model.graph import UNKNOWN, GraphResource, ResourceGraph
from compliance.preview.analyzer import Diagnostic, PolicyPackProcess
from compliance.preview.offline import run_program
from compliance.preview.policy_config import load_policy_config
from tests.policy_pack.pack_harness import (
    PACK_DIR,
    PUBLIC_ACCESS_BLOCKED,
    REGION_DENY,
    graph,
    kms_encryption,
    resource,
)

PROJECT_DIR = Path(__file__).resolve().parents[2]
PROD_CONFIG = PACK_DIR / "config.prod.json"


@pytest.fixture(scope="module", autouse=True)
def prod_config(pack: PolicyPackProcess) -> None:
    pack.configure(load_policy_config(PROD_CONFIG, pack.info()))


def everything(pack: PolicyPackProcess, stack: ResourceGraph) -> list[Diagnostic]:
    diagnostics = [
        diagnostic
        for subject in stack.resources
        for diagnostic in pack.analyze(subject, stack.provider_of(subject)).diagnostics
    ]
    return diagnostics + list(pack.analyze_stack(stack).diagnostics)


def seed_stack() -> dict[str, GraphResource]:
    """The reference TypeScript program's resources as its preview shows them (v6 tokens)."""
    key = resource("aws:kms/key:Key", "payment-kms-prod", {"enableKeyRotation": True})
    bucket = resource(
        "aws:s3/bucket:Bucket", "payment-documents-prod", {"bucket": "payment-documents-prod"}
    )
    versioning = resource(
        "aws:s3/bucketVersioningV2:BucketVersioningV2",
        "payment-documents-versioning-prod",
        {"versioningConfiguration": {"status": "Enabled"}},
        links={"bucket": bucket},
        tagged=False,
    )
    encryption = resource(
        "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
        "payment-documents-encryption-prod",
        kms_encryption(UNKNOWN),
        links={"bucket": bucket},
        tagged=False,
    )
    public_access = resource(
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        "payment-documents-public-access-block-prod",
        PUBLIC_ACCESS_BLOCKED,
        links={"bucket": bucket},
        tagged=False,
    )
    code = resource(
        "aws:s3/bucketObject:BucketObject",
        "lambda-code-payment-processor",
        {"key": "payment-processor.zip"},
        links={"bucket": bucket},
        tagged=False,
    )
    table = resource(
        "aws:dynamodb/table:Table",
        "transactions-prod",
        {"billingMode": "PAY_PER_REQUEST", "pointInTimeRecovery": {"enabled": True}},
    )
    vault = resource("aws:backup/vault:Vault", "payment-backup-vault-prod", {})
    plan = resource(
        "aws:backup/plan:Plan",
        "payment-backup-plan-prod",
        {
            "rules": [
                {
                    "ruleName": "daily-backup",
                    "schedule": "cron(0 3 * * ? *)",
                    "lifecycle": {"deleteAfter": 30},
                }
            ]
        },
        links={"rules": vault},
    )
    backup_role = resource("aws:iam/role:Role", "backup-role-prod", {})
    selection = resource(
        "aws:backup/selection:Selection",
        "backup-selection-0-prod",
        {"resources": [UNKNOWN]},
        links={"resources": table, "planId": plan, "iamRoleArn": backup_role},
        tagged=False,
    )
    execution = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["logs:PutLogEvents", "dynamodb:PutItem", "s3:GetObject"],
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}},
            },
            *REGION_DENY["Statement"],
        ],
    }
    lambda_role = resource(
        "aws:iam/role:Role",
        "payment-lambda-role-prod",
        {"inlinePolicies": [{"name": "lambda-execution-policy", "policy": json.dumps(execution)}]},
    )
    log_group = resource(
        "aws:cloudwatch/logGroup:LogGroup",
        "/aws/lambda/payment-processor-prod",
        {"name": "/aws/lambda/payment-processor-prod", "retentionInDays": 30},
    )
    function = resource(
        "aws:lambda/function:Function",
        "payment-processor-prod",
        {
            "name": "payment-processor-prod",
            "runtime": "nodejs18.x",
            "reservedConcurrentExecutions": 10,
            "environment": {"variables": {"ENVIRONMENT": "production"}},
            "tracingConfig": {"mode": "Active"},
        },
        links={"role": lambda_role},
    )
    api = resource(
        "aws:apigateway/restApi:RestApi", "payment-api-prod", {"name": "payment-api-prod"}
    )
    path = resource(
        "aws:apigateway/resource:Resource",
        "payment-api-resource-prod",
        {"pathPart": "payment"},
        links={"restApi": api, "parentId": api},
        tagged=False,
    )
    method = resource(
        "aws:apigateway/method:Method",
        "payment-api-method-prod",
        {"httpMethod": "POST", "authorization": "NONE"},
        links={"restApi": api, "resourceId": path},
        tagged=False,
    )
    stage = resource(
        "aws:apigateway/stage:Stage",
        "payment-api-stage-prod",
        {"stageName": "prod", "xrayTracingEnabled": True},
        links={"restApi": api},
    )
    settings = resource(
        "aws:apigateway/methodSettings:MethodSettings",
        "payment-api-method-settings-prod",
        {
            "methodPath": "*/*",
            "settings": {
                "throttlingRateLimit": 1000,
                "throttlingBurstLimit": 2000,
                "loggingLevel": "INFO",
                "dataTraceEnabled": True,
            },
        },
        links={"restApi": api, "stageName": stage},
        tagged=False,
    )
    association = resource(
        "aws:wafv2/webAclAssociation:WebAclAssociation",
        "payment-api-waf-association-prod",
        {},
        links={"resourceArn": stage, "webAclArn": api},
        tagged=False,
    )
    resources = (
        key, bucket, versioning, encryption, public_access, code, table, vault, plan,
        backup_role, selection, lambda_role, log_group, function, api, path, method, stage,
        settings, association,
    )  # fmt: skip
    return {r.name: r for r in resources}


def test_seed_defects_are_each_caught(pack: PolicyPackProcess) -> None:
    diagnostics = everything(pack, graph(seed_stack()))

    failed = {d.policy_name for d in diagnostics if not d.unable_to_run}
    assert failed == {
        "apigateway-method-authorization",
        "apigateway-endpoint-type",
        "apigateway-no-data-trace",
        "audit-trail-records-data-access",
        "apigateway-request-validation",
        "apigateway-stage-access-logging",
        "backup-vault-encrypted-with-cmk",
        "backup-retention-minimum",
        "backup-vault-locked",
        "cloudwatch-log-group-encrypted",
        "cloudwatch-log-retention",
        "dynamodb-deletion-protection",
        "dynamodb-table-encrypted-with-cmk",
        "iam-no-wildcard-data-actions",
        "iam-resources-named",
        "iam-role-region-restricted",
        "lambda-environment-encrypted",
        "lambda-runtime-supported",
        "required-tags",
        "s3-bucket-acls-disabled",
        "s3-bucket-denies-insecure-transport",
        "s3-bucket-lifecycle",
        "stateful-resources-protected",
    }
    untagged = {d.urn for d in diagnostics if d.policy_name == "required-tags"}
    assert untagged == {seed_stack()["lambda-code-payment-processor"].urn}


@pytest.fixture(scope="module")
def our_stack() -> ResourceGraph:
    return run_program(PROJECT_DIR, "prod").graph


def test_our_stack_passes_every_mandatory_policy(
    pack: PolicyPackProcess, our_stack: ResourceGraph
) -> None:
    diagnostics = everything(pack, our_stack)

    blocking = [
        (d.policy_name, d.urn, d.message)
        for d in diagnostics
        if d.enforcement is Enforcement.MANDATORY and not d.unable_to_run
    ]
    assert blocking == []


def test_our_stack_is_judged_in_preview_except_where_a_document_is_computed(
    pack: PolicyPackProcess, our_stack: ResourceGraph
) -> None:
    unable = {d.policy_name for d in everything(pack, our_stack) if d.unable_to_run}

    assert unable <= {"iam-no-wildcard-data-actions"}


def _planted(stack: ResourceGraph, name: str, **inputs: object) -> ResourceGraph:
    """Our stack with the inputs of the resource `name` changed."""
    (subject,) = [r for r in stack.resources if r.name == name and r.custom]
    replaced = dataclasses.replace(
        subject, inputs=subject.inputs | inputs, outputs=subject.outputs | inputs
    )
    return dataclasses.replace(
        stack, resources=tuple(replaced if r is subject else r for r in stack.resources)
    )


def _retyped(stack: ResourceGraph, resource_type: str, new_type: str) -> ResourceGraph:
    """Our stack with its first `resource_type` declared as `new_type` instead, inputs unchanged."""
    subject = next(r for r in stack.resources if r.type == resource_type)
    replaced = dataclasses.replace(
        subject, type=new_type, urn=subject.urn.replace(f"::{resource_type}::", f"::{new_type}::")
    )
    return dataclasses.replace(
        stack, resources=tuple(replaced if r is subject else r for r in stack.resources)
    )


def _stray(stack: ResourceGraph, resource_type: str, **inputs: object) -> ResourceGraph:
    """Our stack with one more `resource_type`, a copy of its first with `inputs` changed and
    linked to nothing of the stack."""
    model = next(r for r in stack.resources if r.type == resource_type)
    stray = dataclasses.replace(
        model,
        urn=f"{model.urn}-stray",
        inputs=model.inputs | inputs,
        outputs=model.outputs | inputs,
        dependencies=(),
        property_dependencies={},
    )
    return dataclasses.replace(stack, resources=(*stack.resources, stray))


def _deleted(stack: ResourceGraph, resource_type: str) -> ResourceGraph:
    """Our stack without its first `resource_type`, and nothing referring to it any more."""
    gone = next(r for r in stack.resources if r.type == resource_type)
    kept = []
    for r in stack.resources:
        if r is gone:
            continue
        props = {p for p, urns in r.property_dependencies.items() if gone.urn in urns}
        kept.append(
            dataclasses.replace(
                r,
                inputs={k: v for k, v in r.inputs.items() if k not in props},
                outputs={k: v for k, v in r.outputs.items() if k not in props},
                dependencies=tuple(u for u in r.dependencies if u != gone.urn),
                property_dependencies={
                    p: urns for p, urns in r.property_dependencies.items() if p not in props
                },
            )
        )
    return dataclasses.replace(stack, resources=tuple(kept))


PLANTED_DEFECTS: dict[str, tuple[Callable[[ResourceGraph], ResourceGraph], str]] = {
    "table deletion protection off": (
        lambda s: _planted(s, "table-transactions", deletionProtectionEnabled=False),
        "dynamodb-deletion-protection",
    ),
    "bucket force-destroyed": (
        lambda s: _planted(s, "bucket-payment-receipts", forceDestroy=True),
        "force-destroy-off",
    ),
    "WAF logging configuration deleted": (
        lambda s: _deleted(s, "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"),
        "waf-web-acl-logging",
    ),
    "bucket ownership controls deleted (ACLs on)": (
        lambda s: _deleted(s, "aws:s3/bucketOwnershipControls:BucketOwnershipControls"),
        "s3-bucket-acls-disabled",
    ),
    "audit trail deleted": (
        lambda s: _deleted(s, "aws:cloudtrail/trail:Trail"),
        "audit-trail-records-data-access",
    ),
    "audit trail's log file validation off": (
        lambda s: _planted(s, "payments-audit-trail", enableLogFileValidation=False),
        "audit-trail-records-data-access",
    ),
    "backup vault lock deleted": (
        lambda s: _deleted(s, "aws:backup/vaultLockConfiguration:VaultLockConfiguration"),
        "backup-vault-locked",
    ),
    "web ACL declared as a WAF Classic one, a kind no policy judges": (
        lambda s: _retyped(s, "aws:wafv2/webAcl:WebAcl", "aws:wafregional/webAcl:WebAcl"),
        "resource-kinds-judged",
    ),
    "versioning suspended on a bucket outside the stack": (
        lambda s: _stray(
            s,
            "aws:s3/bucketVersioning:BucketVersioning",
            bucket="legacy-card-exports",
            versioningConfiguration={"status": "Suspended"},
        ),
        "s3-bucket-versioning",
    ),
    "request validator deleted": (
        lambda s: _deleted(s, "aws:apigateway/requestValidator:RequestValidator"),
        "apigateway-request-validation",
    ),
}


@pytest.mark.parametrize("defect", sorted(PLANTED_DEFECTS))
def test_a_defect_planted_in_our_stack_is_a_mandatory_violation(
    pack: PolicyPackProcess, our_stack: ResourceGraph, defect: str
) -> None:
    plant, policy = PLANTED_DEFECTS[defect]

    blocking = {
        d.policy_name
        for d in everything(pack, plant(our_stack))
        if d.enforcement is Enforcement.MANDATORY and not d.unable_to_run
    }

    assert policy in blocking
