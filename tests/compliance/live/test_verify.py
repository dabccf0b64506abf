"""The live engine against a moto server on the loopback interface: the compliant stack verifies,
each control broken out of band once is caught (with drift where the export recorded the value),
and a call without an answer is never a pass."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse

from compliance.bench.local_account import REGION, function_zip
from compliance.live.account import LiveAccount
from compliance.live.registry import CHECKS
from compliance.live.verify import DRIFT_RULE
from compliance.model.findings import Enforcement, Finding, Outcome, Source
from compliance.model.graph import GraphResource, ResourceGraph
from compliance.model.pack import PackInfo
from compliance.model.tokens import v7_token
from tests.compliance.live.conftest import Verifier

MOTO_LACKS = {"dynamodb-table-in-backup-plan"}
"""Rules whose APIs the moto server does not implement (AWS Backup selections): not run."""


def resource(graph: ResourceGraph, token: str, name_part: str = "") -> GraphResource:
    found = [r for r in graph if v7_token(r.type) == token and name_part in r.name]
    assert found, (token, name_part)
    return found[0]


def client(service: str) -> Any:
    return boto3.session.Session(region_name=REGION).client(service)


def test_every_live_check_verifies_a_policy_of_the_pack(pack: PackInfo) -> None:
    assert CHECKS
    unknown = {c.policy for c in CHECKS} - {p.name for p in pack.policies}
    assert unknown == set()


def test_the_compliant_stack_verifies(
    deployed: ResourceGraph, verifier: Verifier, pack: PackInfo
) -> None:
    live = verifier(deployed)
    assert live.identity.account == "123456789012"
    assert all(f.source is Source.LIVE for f in live.findings)
    not_passed = {(f.rule, f.outcome) for f in live.findings if f.outcome is not Outcome.PASS}
    assert not_passed == {(rule, Outcome.NOT_RUN) for rule in MOTO_LACKS}
    for finding in live.findings:
        if finding.outcome is Outcome.NOT_RUN:
            assert "does not implement it" in finding.message
    # Every check ran on every resource of its kind, and filed under its policy's control.
    judged = {(f.rule, f.resource.urn) for f in live.findings if f.resource}
    expected = {(c.policy, r.urn) for r in deployed for c in CHECKS if c.token == v7_token(r.type)}
    assert judged == expected
    assert len(expected) == live.checks
    controls = {p.name: p.control_id for p in pack.policies}
    assert all(f.controls == (controls[f.rule],) for f in live.findings)


def _bucket(graph: ResourceGraph) -> str:
    return str(resource(graph, "aws:s3/bucket:Bucket", "receipts").id)


def _trail(graph: ResourceGraph) -> str:
    return str(resource(graph, "aws:cloudtrail/trail:Trail").id)


def _stage(graph: ResourceGraph) -> dict[str, str]:
    stage = resource(graph, "aws:apigateway/stage:Stage")
    return {"restApiId": str(stage.state["restApi"]), "stageName": str(stage.state["stageName"])}


def _function(graph: ResourceGraph) -> str:
    return str(resource(graph, "aws:lambda/function:Function", "processor").id)


def _patch_stage(graph: ResourceGraph, path: str, value: str) -> None:
    client("apigateway").update_stage(
        **_stage(graph), patchOperations=[{"op": "replace", "path": path, "value": value}]
    )


def _recreate_function(graph: ResourceGraph, **changed: Any) -> None:
    """The function deleted and created again by hand with `changed` (moto's
    UpdateFunctionConfiguration ignores TracingConfig; a console user may do just this)."""
    lambda_ = client("lambda")
    name = _function(graph)
    current = lambda_.get_function(FunctionName=name)
    configuration = current["Configuration"]
    lambda_.delete_function(FunctionName=name)
    lambda_.create_function(
        FunctionName=name,
        Runtime=configuration["Runtime"],
        Role=configuration["Role"],
        Handler=configuration["Handler"],
        Code={"ZipFile": function_zip()},
        KMSKeyArn=configuration["KMSKeyArn"],
        Environment=configuration["Environment"],
        Tags=current.get("Tags", {}),
        **changed,
    )
    lambda_.put_function_concurrency(
        FunctionName=name,
        ReservedConcurrentExecutions=current["Concurrency"]["ReservedConcurrentExecutions"],
    )


Drift = Callable[[ResourceGraph], None]
DRIFTS: dict[str, tuple[Drift, str, str, str]] = {
    # name: (what changes out of band, the rule that must fail, on which resource, running value)
    "key rotation off": (
        lambda g: client("kms").disable_key_rotation(KeyId=resource(g, "aws:kms/key:Key").id),
        "kms-key-rotation-enabled",
        "payments-key",
        "false",
    ),
    "key pending deletion": (
        lambda g: client("kms").schedule_key_deletion(
            KeyId=resource(g, "aws:kms/key:Key").id, PendingWindowInDays=7
        ),
        "kms-key-rotation-enabled",
        "payments-key",
        "PendingDeletion",
    ),
    "bucket encryption removed": (
        lambda g: client("s3").delete_bucket_encryption(Bucket=_bucket(g)),
        "s3-encryption-kms-cmk",
        "bucket-payment-receipts",
        '"SSEAlgorithm": null',
    ),
    "bucket versioning suspended": (
        lambda g: client("s3").put_bucket_versioning(
            Bucket=_bucket(g), VersioningConfiguration={"Status": "Suspended"}
        ),
        "s3-bucket-versioning",
        "bucket-payment-receipts",
        "Suspended",
    ),
    "bucket public policy allowed": (
        lambda g: client("s3").put_public_access_block(
            Bucket=_bucket(g),
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": True,
                "IgnorePublicAcls": True,
                "BlockPublicPolicy": False,
                "RestrictPublicBuckets": True,
            },
        ),
        "s3-bucket-public-access-block",
        "bucket-payment-receipts",
        "BlockPublicPolicy = false",
    ),
    "bucket policy deleted": (
        lambda g: client("s3").delete_bucket_policy(Bucket=_bucket(g)),
        "s3-bucket-denies-insecure-transport",
        "bucket-payment-receipts",
        "no bucket policy",
    ),
    "bucket retagged": (
        lambda g: client("s3").put_bucket_tagging(
            Bucket=_bucket(g),
            Tagging={
                "TagSet": [
                    {"Key": "Environment", "Value": "staging"},
                    {"Key": "MigratedFrom", "Value": "dev"},
                    {"Key": "MigrationDate", "Value": "2026-12-01"},
                ]
            },
        ),
        "required-tags",
        "bucket-payment-receipts",
        '"staging"',
    ),
    "table point-in-time recovery off": (
        lambda g: client("dynamodb").update_continuous_backups(
            TableName=resource(g, "aws:dynamodb/table:Table", "transactions").id,
            PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": False},
        ),
        "dynamodb-pitr-enabled",
        "table-transactions",
        "DISABLED",
    ),
    "function tracing pass-through": (
        lambda g: _recreate_function(g, TracingConfig={"Mode": "PassThrough"}),
        "lambda-tracing-active",
        "function-payment-processor",
        "PassThrough",
    ),
    "function runtime downgraded": (
        lambda g: client("lambda").update_function_configuration(
            FunctionName=_function(g), Runtime="python3.8"
        ),
        "lambda-runtime-supported",
        "function-payment-processor",
        "python3.8",
    ),
    "function concurrency released": (
        lambda g: client("lambda").delete_function_concurrency(FunctionName=_function(g)),
        "lambda-reserved-concurrency",
        "function-payment-processor",
        "null",
    ),
    "stage tracing off": (
        lambda g: _patch_stage(g, "/tracingEnabled", "false"),
        "apigateway-stage-xray-enabled",
        "payments-api-stage",
        "false",
    ),
    "stage throttling raised past the bound": (
        lambda g: _patch_stage(g, "/*/*/throttling/rateLimit", "50000"),
        "apigateway-stage-throttled",
        "payments-api-stage",
        "50000",
    ),
    "stage data trace on": (
        lambda g: _patch_stage(g, "/*/*/logging/dataTrace", "true"),
        "apigateway-no-data-trace",
        "payments-api-stage",
        '"*/*"',
    ),
    "stage taken off the WAF": (
        lambda g: client("wafv2").disassociate_web_acl(
            ResourceArn=str(resource(g, "aws:apigateway/stage:Stage").state["arn"])
        ),
        "apigateway-stage-waf",
        "payments-api-stage",
        "null",
    ),
    "log retention shortened": (
        lambda g: client("logs").put_retention_policy(
            logGroupName=str(resource(g, "aws:cloudwatch/logGroup:LogGroup", "processor").id),
            retentionInDays=30,
        ),
        "cloudwatch-log-retention",
        "function-payment-processor-logs",
        "30",
    ),
    "topic key removed": (
        lambda g: client("sns").set_topic_attributes(
            TopicArn=str(resource(g, "aws:sns/topic:Topic").id),
            AttributeName="KmsMasterKeyId",
            AttributeValue="",
        ),
        "sns-topic-encrypted",
        "payments-monitoring-alarms",
        "null",
    ),
    "bucket ACLs re-enabled": (
        lambda g: client("s3").put_bucket_ownership_controls(
            Bucket=_bucket(g),
            OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]},
        ),
        "s3-bucket-acls-disabled",
        "bucket-payment-receipts",
        "ObjectWriter",
    ),
    "bucket lifecycle deleted": (
        lambda g: client("s3").delete_bucket_lifecycle(Bucket=_bucket(g)),
        "s3-bucket-lifecycle",
        "bucket-payment-receipts",
        "[]",
    ),
    "table deletion protection off": (
        lambda g: client("dynamodb").update_table(
            TableName=resource(g, "aws:dynamodb/table:Table", "transactions").id,
            DeletionProtectionEnabled=False,
        ),
        "dynamodb-deletion-protection",
        "table-transactions",
        "false",
    ),
    "audit trail stopped": (
        lambda g: client("cloudtrail").stop_logging(Name=_trail(g)),
        "audit-trail-records-data-access",
        "payments-audit-trail",
        "IsLogging = false",
    ),
    "audit trail log file validation off": (
        lambda g: client("cloudtrail").update_trail(Name=_trail(g), EnableLogFileValidation=False),
        "audit-trail-records-data-access",
        "payments-audit-trail",
        "LogFileValidationEnabled = false",
    ),
    "audit trail narrowed to writes": (
        lambda g: client("cloudtrail").put_event_selectors(
            TrailName=_trail(g),
            EventSelectors=[
                {**selector, "ReadWriteType": "WriteOnly"}
                for selector in client("cloudtrail").get_event_selectors(TrailName=_trail(g))[
                    "EventSelectors"
                ]
            ],
        ),
        "audit-trail-records-data-access",
        "table-transactions",
        "records the read data events",
    ),
    "role region deny deleted": (
        lambda g: client("iam").delete_role_policy(
            RoleName=str(resource(g, "aws:iam/role:Role", "processor").id),
            PolicyName="payments-region-restriction",
        ),
        "iam-role-region-restricted",
        "role-payment-processor",
        "payments-function-access",
    ),
}


@pytest.mark.parametrize("drift", sorted(DRIFTS))
def test_each_control_broken_out_of_band_is_caught(
    drift: str, deployed: ResourceGraph, verifier: Verifier
) -> None:
    change, rule, name, running = DRIFTS[drift]
    change(deployed)
    live = verifier(deployed)
    failed = [
        f
        for f in live.findings
        if f.outcome is Outcome.FAIL and f.rule == rule and f.resource and f.resource.name == name
    ]
    assert failed, [f.message for f in live.findings if f.outcome is Outcome.FAIL]
    assert any(running in f.message for f in failed), [f.message for f in failed]
    unexpected = {
        (f.rule, f.resource.name if f.resource else None)
        for f in live.findings
        if f.outcome is Outcome.FAIL and f.rule not in (rule, DRIFT_RULE)
    }
    assert unexpected == set()


@pytest.mark.parametrize(
    ("drift", "path"),
    [
        ("key rotation off", "KeyRotationEnabled"),
        ("bucket versioning suspended", "Status"),
        ("table point-in-time recovery off", "PointInTimeRecoveryStatus"),
        ("function tracing pass-through", "TracingConfig.Mode"),
        ("stage throttling raised past the bound", "throttlingRateLimit"),
        ("log retention shortened", "retentionInDays"),
    ],
)
def test_drift_names_what_was_declared_and_what_runs(
    drift: str, path: str, deployed: ResourceGraph, verifier: Verifier
) -> None:
    change, rule, name, running = DRIFTS[drift]
    change(deployed)
    drifted = [f for f in verifier(deployed).findings if f.rule == DRIFT_RULE]
    assert len(drifted) == 1, [f.message for f in drifted]
    finding = drifted[0]
    assert finding.resource is not None
    assert finding.resource.name == name
    assert path in finding.message
    assert "declared" in finding.message
    assert f"running {running}" in finding.message or running in finding.message
    assert finding.enforcement is Enforcement.ADVISORY
    assert finding.extra["policy"] == rule


def _answer(status: int, code: str) -> Callable[..., AWSResponse]:
    body = json.dumps({"__type": code, "message": f"{code} (injected)"}).encode()

    class Raw:
        def stream(self, **_: Any) -> Any:
            yield body

    def respond(**_: Any) -> AWSResponse:
        return AWSResponse(
            "http://injected",
            status,
            {"x-amzn-ErrorType": code, "content-type": "application/x-amz-json-1.0"},
            Raw(),
        )

    return respond


@pytest.mark.parametrize(
    ("status", "code", "reason"),
    [
        (400, "AccessDeniedException", "access denied"),
        (400, "ThrottlingException", "throttled, still after the retries"),
        # An endpoint without the operation, not a table that is gone.
        (404, "", "the endpoint failed or does not implement it"),
    ],
)
def test_a_call_without_an_answer_is_not_run_never_a_pass(
    status: int, code: str, reason: str, deployed: ResourceGraph, verifier: Verifier
) -> None:
    session = boto3.session.Session(region_name=REGION)
    session.events.register("before-send.dynamodb.DescribeContinuousBackups", _answer(status, code))
    live = verifier(deployed, LiveAccount(REGION, session=session))
    pitr = [f for f in live.findings if f.rule == "dynamodb-pitr-enabled"]
    assert len(pitr) == 2
    assert {f.outcome for f in pitr} == {Outcome.NOT_RUN}
    assert all(reason in f.message and code in f.message for f in pitr)
    # The table's other checks still ran.
    assert any(
        f.rule == "dynamodb-table-encrypted-with-cmk" and f.outcome is Outcome.PASS
        for f in live.findings
    )


def test_a_resource_that_no_longer_exists_fails(
    deployed: ResourceGraph, verifier: Verifier
) -> None:
    table = resource(deployed, "aws:dynamodb/table:Table", "customers")
    dynamodb = client("dynamodb")
    dynamodb.update_table(TableName=table.id, DeletionProtectionEnabled=False)
    dynamodb.delete_table(TableName=table.id)
    findings: list[Finding] = [
        f
        for f in verifier(deployed).findings
        if f.resource and f.resource.urn == table.urn and f.rule not in MOTO_LACKS
    ]
    assert findings
    assert {f.outcome for f in findings} == {Outcome.FAIL}
    assert all("the resource is not running" in f.message for f in findings)


def test_a_resource_the_export_records_no_id_for_is_not_run(
    deployed: ResourceGraph, verifier: Verifier
) -> None:
    table = resource(deployed, "aws:dynamodb/table:Table", "customers")
    pending = replace(
        deployed,
        resources=tuple(replace(r, id=None) if r.urn == table.urn else r for r in deployed),
    )
    findings = [f for f in verifier(pending).findings if f.resource and f.resource.urn == table.urn]
    assert findings
    assert {f.outcome for f in findings} == {Outcome.NOT_RUN}
    assert all("the export records no id for it" in f.message for f in findings)


def test_an_unlocked_vault_whose_access_policy_cannot_be_read_is_not_run_never_a_pass(
    deployed: ResourceGraph, verifier: Verifier
) -> None:
    vault = resource(deployed, "aws:backup/vault:Vault")
    client("backup").delete_backup_vault_lock_configuration(BackupVaultName=vault.id)

    [finding] = [
        f
        for f in verifier(deployed).findings
        if f.rule == "backup-vault-locked" and f.resource and f.resource.urn == vault.urn
    ]

    # Without a lock the access policy decides, and the moto server does not implement reading it.
    assert finding.outcome is Outcome.NOT_RUN, finding.message
    assert (
        "backup:get_backup_vault_access_policy: the endpoint failed or does not implement it"
        in finding.message
    )
