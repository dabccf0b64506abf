"""Builds resource graphs for the policy pack's tests and reads the pack's verdicts on them.

`compliant_stack()` is a small stack shaped like the payment stack (v7 tokens, links through
property dependencies, ids and ARNs unknown as in a first preview) that passes every policy;
each test breaks one thing in it.
"""

from __future__ import annotations

import dataclasses
import json
import re
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from compliance.model.graph import UNKNOWN, GraphResource, ResourceGraph
from compliance.preview.analyzer import AnalyzeResult, PolicyPackProcess
from compliance.preview.policy_config import PolicyConfigEntry, load_policy_config

PACK_DIR = Path(__file__).resolve().parents[2] / "policy_pack"
PROJECT = "payments"
STACK = "prod"
PROVIDER_URN = f"urn:pulumi:{STACK}::{PROJECT}::pulumi:providers:aws::default_7_29_0"
TAGS = {"Environment": "production", "MigratedFrom": "dev", "MigrationDate": "2026-12-01"}
KEY_ARN = UNKNOWN
ACCESS_LOG_FORMAT = '{"requestId":"$context.requestId"}'
PUBLIC_ACCESS_BLOCKED = dict.fromkeys(
    ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"), True
)


@contextmanager
def running_pack() -> Iterator[PolicyPackProcess]:
    with PolicyPackProcess(PACK_DIR, project=PROJECT, stack=STACK) as pack:
        yield pack


def configure(pack: PolicyPackProcess, overrides: Mapping[str, Any] | None = None) -> None:
    """Configure the pack from a config document as a `--policy-pack-config` file holds it."""
    config: dict[str, PolicyConfigEntry]
    if overrides is None:
        config = load_policy_config(None, pack.info())
    else:
        path = _config_file(overrides)
        try:
            config = load_policy_config(path, pack.info())
        finally:
            path.unlink()
    pack.configure(config)


def _config_file(document: Mapping[str, Any]) -> Path:
    handle = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)  # noqa: SIM115
    with handle:
        json.dump(document, handle)
    return Path(handle.name)


def urn(type_: str, name: str) -> str:
    return f"urn:pulumi:{STACK}::{PROJECT}::{type_}::{name}"


def provider(region: Any = "eu-west-1", **inputs: Any) -> GraphResource:
    return GraphResource(
        urn=PROVIDER_URN,
        type="pulumi:providers:aws",
        custom=True,
        inputs={"region": region, **inputs} if region is not None else inputs,
        id=UNKNOWN,
    )


def resource(
    type_: str,
    name: str,
    inputs: dict[str, Any],
    *,
    protect: bool = False,
    links: Mapping[str, GraphResource] | None = None,
    tagged: bool = True,
) -> GraphResource:
    """A custom resource; `links` maps a property to the resource it depends on (an unknown id)."""
    linked = dict(links or {})
    properties = {**{key: UNKNOWN for key in linked}, **inputs}
    if tagged:
        properties.setdefault("tags", dict(TAGS))
    return GraphResource(
        urn=urn(type_, name),
        type=type_,
        custom=True,
        inputs=properties,
        dependencies=tuple(dict.fromkeys(r.urn for r in linked.values())),
        property_dependencies={key: (r.urn,) for key, r in linked.items()},
        protect=protect,
        provider=f"{PROVIDER_URN}::{UNKNOWN}",
    )


def with_inputs(original: GraphResource, **changes: Any) -> GraphResource:
    """A copy with some inputs replaced; a value of `...` removes the input."""
    inputs = {k: v for k, v in (original.inputs | changes).items() if v is not ...}
    return dataclasses.replace(original, inputs=inputs)


def kms_encryption(key: str, *, bucket_key: bool = True) -> dict[str, Any]:
    """A bucket encryption configuration's inputs: SSE-KMS with `key`."""
    default = {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": key}
    return {
        "rules": [{"applyServerSideEncryptionByDefault": default, "bucketKeyEnabled": bucket_key}]
    }


def tls_only_document(bucket_name: str) -> dict[str, Any]:
    """A bucket policy denying every request to the bucket and its objects made without TLS."""
    arn = f"arn:aws:s3:::{bucket_name}"
    deny = {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [arn, f"{arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    return {"Version": "2012-10-17", "Statement": [deny]}


OWN_RESOURCES = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": ["xray:PutTraceSegments"], "Resource": "*"},
        {
            "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
            "Resource": "arn:aws:kms:eu-west-1:123456789012:key/payments",
        },
        {
            "Effect": "Allow",
            "Action": ["dynamodb:GetItem", "dynamodb:PutItem"],
            "Resource": "arn:aws:dynamodb:eu-west-1:123456789012:table/transactions",
        },
        {
            "Effect": "Allow",
            "Action": "s3:PutObject",
            "Resource": "arn:aws:s3:::receipts-123456789012/*",
        },
    ],
}


def compliant_stack() -> dict[str, GraphResource]:
    key = resource(
        "aws:kms/key:Key",
        "payments-key",
        {"enableKeyRotation": True, "deletionWindowInDays": 30},
        protect=True,
    )
    bucket = resource(
        "aws:s3/bucket:Bucket", "receipts", {"bucket": "receipts-123456789012"}, protect=True
    )
    encryption = resource(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "receipts-encryption",
        kms_encryption(KEY_ARN),
        links={"bucket": bucket},
        tagged=False,
    )
    versioning = resource(
        "aws:s3/bucketVersioning:BucketVersioning",
        "receipts-versioning",
        {"versioningConfiguration": {"status": "Enabled"}},
        links={"bucket": bucket},
        tagged=False,
    )
    lifecycle = resource(
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
        "receipts-lifecycle",
        {"rules": [{"id": "glacier-after-90-days", "status": "Enabled"}]},
        links={"bucket": bucket},
        tagged=False,
    )
    ownership = resource(
        "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
        "receipts-ownership",
        {"rule": {"objectOwnership": "BucketOwnerEnforced"}},
        links={"bucket": bucket},
        tagged=False,
    )
    public_access = resource(
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        "receipts-public-access",
        PUBLIC_ACCESS_BLOCKED,
        links={"bucket": bucket},
        tagged=False,
    )
    tls_only = resource(
        "aws:s3/bucketPolicy:BucketPolicy",
        "receipts-tls-only",
        {"policy": json.dumps(tls_only_document("receipts-123456789012"))},
        links={"bucket": bucket},
        tagged=False,
    )
    table = resource(
        "aws:dynamodb/table:Table",
        "transactions",
        {
            "name": "transactions",
            "billingMode": "PAY_PER_REQUEST",
            "deletionProtectionEnabled": True,
            "pointInTimeRecovery": {"enabled": True},
            "serverSideEncryption": {"enabled": True, "kmsKeyArn": KEY_ARN},
        },
        protect=True,
    )
    trail = resource(
        "aws:cloudtrail/trail:Trail",
        "audit-trail",
        {
            "s3BucketName": "audit-logs-123456789012",
            "enableLogging": True,
            "enableLogFileValidation": True,
            "kmsKeyId": KEY_ARN,
            "eventSelectors": [
                {
                    "readWriteType": "All",
                    "includeManagementEvents": True,
                    "dataResources": [
                        {
                            "type": "AWS::S3::Object",
                            "values": ["arn:aws:s3:::receipts-123456789012/"],
                        },
                        {
                            "type": "AWS::DynamoDB::Table",
                            "values": [
                                "arn:aws:dynamodb:eu-west-1:123456789012:table/transactions"
                            ],
                        },
                    ],
                }
            ],
        },
    )
    vault = resource("aws:backup/vault:Vault", "vault", {"kmsKeyArn": KEY_ARN}, protect=True)
    vault_lock = resource(
        "aws:backup/vaultLockConfiguration:VaultLockConfiguration",
        "vault-lock",
        {"minRetentionDays": 35},
        links={"backupVaultName": vault},
        tagged=False,
    )
    plan = resource(
        "aws:backup/plan:Plan",
        "daily",
        {
            "rules": [
                {
                    "ruleName": "daily",
                    "schedule": "cron(0 3 * * ? *)",
                    "lifecycle": {"deleteAfter": 35},
                }
            ]
        },
    )
    role = resource(
        "aws:iam/role:Role",
        "processor-role",
        {
            "assumeRolePolicy": json.dumps({"Version": "2012-10-17", "Statement": []}),
            "inlinePolicies": [
                {"name": "region", "policy": json.dumps(REGION_DENY)},
                {"name": "own", "policy": json.dumps(OWN_RESOURCES)},
            ],
        },
    )
    selection = resource(
        "aws:backup/selection:Selection",
        "tables",
        {"resources": [UNKNOWN]},
        links={"resources": table, "planId": plan, "iamRoleArn": role},
        tagged=False,
    )
    function_logs = resource(
        "aws:cloudwatch/logGroup:LogGroup",
        "processor-logs",
        {"retentionInDays": 365, "kmsKeyId": KEY_ARN},
    )
    function = resource(
        "aws:lambda/function:Function",
        "processor",
        {
            "loggingConfig": {"logFormat": "JSON", "logGroup": UNKNOWN},
            "runtime": "python3.12",
            "reservedConcurrentExecutions": 10,
            "tracingConfig": {"mode": "Active"},
            "environment": {"variables": {"TABLE_NAME": UNKNOWN}},
            "kmsKeyArn": KEY_ARN,
        },
        links={"role": role, "loggingConfig": function_logs},
    )
    logs_attachment = resource(
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        "apigw-logs-attachment",
        {"policyArn": "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"},
        links={"role": role},
        tagged=False,
    )
    log_group = resource(
        "aws:cloudwatch/logGroup:LogGroup",
        "api-access",
        {"retentionInDays": 365, "kmsKeyId": KEY_ARN},
    )
    topic = resource("aws:sns/topic:Topic", "alarms", {"kmsMasterKeyId": KEY_ARN})
    alarm = resource(
        "aws:cloudwatch/metricAlarm:MetricAlarm",
        "errors-alarm",
        {"alarmActions": [UNKNOWN], "actionsEnabled": True},
        links={"alarmActions": topic},
    )
    queue = resource("aws:sqs/queue:Queue", "dead-letters", {"kmsMasterKeyId": KEY_ARN})
    function_url = resource(
        "aws:lambda/functionUrl:FunctionUrl",
        "processor-url",
        {"authorizationType": "AWS_IAM"},
        links={"functionName": function},
        tagged=False,
    )
    api = resource(
        "aws:apigateway/restApi:RestApi",
        "payments-api",
        {"name": "payments", "endpointConfiguration": {"types": "REGIONAL"}},
    )
    invoke_permission = resource(
        "aws:lambda/permission:Permission",
        "api-invoke",
        {"action": "lambda:InvokeFunction", "principal": "apigateway.amazonaws.com"},
        links={"function": function, "sourceArn": api},
        tagged=False,
    )
    http_api = resource(
        "aws:apigatewayv2/api:Api", "partner-api", {"name": "partner", "protocolType": "HTTP"}
    )
    http_route = resource(
        "aws:apigatewayv2/route:Route",
        "partner-route",
        {"routeKey": "POST /refunds", "authorizationType": "AWS_IAM"},
        links={"apiId": http_api},
        tagged=False,
    )
    http_stage = resource(
        "aws:apigatewayv2/stage:Stage",
        "partner-stage",
        {
            "name": "$default",
            "accessLogSettings": {"destinationArn": UNKNOWN, "format": ACCESS_LOG_FORMAT},
            "defaultRouteSettings": {"throttlingRateLimit": 100, "throttlingBurstLimit": 200},
        },
        links={"apiId": http_api, "accessLogSettings": log_group},
    )
    domain = resource(
        "aws:apigateway/domainName:DomainName",
        "payments-domain",
        {"domainName": "pay.example.com", "securityPolicy": "TLS_1_2"},
    )
    path = resource(
        "aws:apigateway/resource:Resource",
        "payments-path",
        {"pathPart": "payments"},
        links={"restApi": api, "parentId": api},
        tagged=False,
    )
    validator = resource(
        "aws:apigateway/requestValidator:RequestValidator",
        "payments-validator",
        {"validateRequestBody": True, "validateRequestParameters": True},
        links={"restApi": api},
        tagged=False,
    )
    method = resource(
        "aws:apigateway/method:Method",
        "post-payment",
        {"httpMethod": "POST", "authorization": "AWS_IAM"},
        links={"restApi": api, "resourceId": path, "requestValidatorId": validator},
        tagged=False,
    )
    stage = resource(
        "aws:apigateway/stage:Stage",
        "prod-stage",
        {
            "stageName": "prod",
            "xrayTracingEnabled": True,
            "accessLogSettings": {"destinationArn": UNKNOWN, "format": ACCESS_LOG_FORMAT},
        },
        links={"restApi": api, "accessLogSettings": log_group},
    )
    settings = resource(
        "aws:apigateway/methodSettings:MethodSettings",
        "prod-settings",
        {
            "methodPath": "*/*",
            "settings": {
                "throttlingRateLimit": 1000,
                "throttlingBurstLimit": 2000,
                "dataTraceEnabled": False,
                "metricsEnabled": True,
            },
        },
        links={"restApi": api, "stageName": stage},
        tagged=False,
    )
    web_acl = resource(
        "aws:wafv2/webAcl:WebAcl",
        "payments-waf",
        {"scope": "REGIONAL", "rules": [{"name": "RateLimitPerClientIp", "priority": 0}]},
    )
    waf_logging = resource(
        "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration",
        "payments-waf-logging",
        {"logDestinationConfigs": [UNKNOWN]},
        links={"resourceArn": web_acl},
        tagged=False,
    )
    association = resource(
        "aws:wafv2/webAclAssociation:WebAclAssociation",
        "payments-waf-association",
        {},
        links={"resourceArn": stage, "webAclArn": web_acl},
        tagged=False,
    )
    return {
        r.name: r
        for r in (
            key,
            bucket,
            encryption,
            versioning,
            lifecycle,
            ownership,
            public_access,
            tls_only,
            table,
            trail,
            vault,
            vault_lock,
            plan,
            role,
            selection,
            function_logs,
            function,
            logs_attachment,
            log_group,
            topic,
            alarm,
            queue,
            function_url,
            api,
            invoke_permission,
            http_api,
            http_route,
            http_stage,
            domain,
            path,
            validator,
            method,
            stage,
            settings,
            web_acl,
            waf_logging,
            association,
        )
    }


REGION_DENY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Deny",
            "Action": "*",
            "Resource": "*",
            "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1"]}},
        }
    ],
}


def graph(
    resources: Mapping[str, GraphResource], the_provider: GraphResource | None = None
) -> ResourceGraph:
    return ResourceGraph(PROJECT, STACK, (the_provider or provider(), *resources.values()))


def resource_verdict(
    pack: PolicyPackProcess,
    policy: str,
    subject: GraphResource,
    the_provider: GraphResource | None = None,
) -> tuple[str, list[str]]:
    """("fail" | "pass" | "not-applicable" | "not-run", messages) of one resource policy."""
    result = pack.analyze(subject, the_provider or provider())
    return _verdict(result, policy, subject.urn)


def stack_verdict(
    pack: PolicyPackProcess,
    policy: str,
    resources: Mapping[str, GraphResource],
    subject: str | None,
) -> tuple[str, list[str]]:
    """The stack policy's verdict on the resource named `subject` (None: on the whole stack)."""
    result = pack.analyze_stack(graph(resources))
    target = resources[subject].urn if subject else None
    return _verdict(result, policy, target)


def _verdict(result: AnalyzeResult, policy: str, target: str | None) -> tuple[str, list[str]]:
    mine = [d for d in result.diagnostics if d.policy_name == policy]
    if any(d.unable_to_run for d in mine):
        return "not-run", [d.message for d in mine]
    about = [d.message for d in mine if target is None or d.urn == target]
    if about:
        return "fail", about
    if any(n.policy_name == policy for n in result.not_applicable):
        return "not-applicable", []
    return "pass", [d.message for d in mine]


def pinned_judging_versions() -> dict[str, str]:
    """pulumi, pulumi-aws and pulumi-policy as `policy_pack/requirements.txt` pins them."""
    text = (PACK_DIR / "requirements.txt").read_text()
    pins = dict(re.findall(r"^([a-z0-9-]+)==([^\s;]+)", text, re.MULTILINE))
    return {name: pins[name] for name in ("pulumi", "pulumi-aws", "pulumi-policy")}
