"""The seed's defects (a)-(j) and the issue's "Also" items, each proven fixed."""

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from infra.config import PROJECT_ROOT
from infra.errors import ConfigError
from tests.infra.stack_harness import (
    ACCOUNT_ID,
    MIGRATION_DATE,
    REGION,
    Registration,
    StackRun,
    run_stack,
    statements,
)

KMS_ENCRYPTED = [
    ("aws:lambda/function:Function", "kmsKeyArn"),
    ("aws:cloudwatch/logGroup:LogGroup", "kmsKeyId"),
    ("aws:backup/vault:Vault", "kmsKeyArn"),
    ("aws:sns/topic:Topic", "kmsMasterKeyId"),
]
DATA_SERVICES = ("dynamodb", "s3", "kms", "ssm")


@pytest.fixture(scope="module")
def unprotected() -> StackRun:
    return run_stack(protect="false", apiAuthorization="NONE", migrationDate="2027-01-15")


def test_a_function_code_goes_to_the_lambda_code_bucket(stack: StackRun) -> None:
    code_bucket = stack.one("aws:s3/bucket:Bucket", "bucket-lambda-code")
    objects = stack.of_type("aws:s3/bucketObjectv2:BucketObjectv2")
    assert len(objects) == 2
    for code in objects:
        assert stack.linked(code, "bucket") == [code_bucket]
        assert code.inputs["bucket"] == f"{ACCOUNT_ID}-lambda-code-prod"
    for function in stack.of_type("aws:lambda/function:Function"):
        (code,) = stack.linked(function, "s3Bucket")
        assert code in objects
        assert function.inputs["s3Bucket"] == f"{ACCOUNT_ID}-lambda-code-prod"
        assert stack.linked(function, "s3Key") == [code]


def test_b_migration_date_tag_comes_from_config_not_today(
    stack: StackRun, unprotected: StackRun
) -> None:
    for run, date in ((stack, MIGRATION_DATE), (unprotected, "2027-01-15")):
        dates = {r.inputs["tags"]["MigrationDate"] for r in run.registrations if "tags" in r.inputs}
        assert dates == {date}
    assert stack.outputs["migrationSummary"]["migrationDate"] == MIGRATION_DATE


def test_c_tables_are_encrypted_with_the_customer_managed_key(stack: StackRun) -> None:
    key = stack.one("aws:kms/key:Key")
    for table in stack.of_type("aws:dynamodb/table:Table"):
        assert table.inputs["serverSideEncryption"] == {
            "enabled": True,
            "kmsKeyArn": f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/key-id",
        }
        assert stack.linked(table, "serverSideEncryption") == [key]


@pytest.mark.parametrize(("token", "prop"), KMS_ENCRYPTED)
def test_d_environment_logs_vault_and_topic_are_encrypted_with_the_key(
    stack: StackRun, token: str, prop: str
) -> None:
    key = stack.one("aws:kms/key:Key")
    resources = stack.of_type(token)
    assert resources
    for resource in resources:
        assert resource.inputs[prop] == f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/key-id"
        assert stack.linked(resource, prop) == [key]


def test_d_key_policy_lets_cloudwatch_logs_in_the_region_use_the_key(stack: StackRun) -> None:
    policy = statements(stack.one("aws:kms/key:Key").inputs["policy"])
    (logs,) = [s for s in policy if s["Principal"] == {"Service": f"logs.{REGION}.amazonaws.com"}]
    assert {"kms:Encrypt*", "kms:Decrypt*", "kms:GenerateDataKey*"} <= set(logs["Action"])
    assert logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"] == (
        f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:*"
    )
    (alarms,) = [s for s in policy if s["Principal"] == {"Service": "cloudwatch.amazonaws.com"}]
    assert "kms:GenerateDataKey*" in alarms["Action"]


def test_e_post_payment_requires_iam_auth_and_validates_requests(stack: StackRun) -> None:
    method = stack.one("aws:apigateway/method:Method")
    assert method.inputs["authorization"] == "AWS_IAM"
    validator = stack.one("aws:apigateway/requestValidator:RequestValidator")
    assert validator.inputs["validateRequestBody"] is True
    assert validator.inputs["validateRequestParameters"] is True
    assert stack.linked(method, "requestValidatorId") == [validator]
    model = stack.one("aws:apigateway/model:Model")
    assert stack.linked(method, "requestModels") == [model]
    assert json.loads(model.inputs["schema"])["type"] == "object"
    rejected = stack.one("aws:apigateway/response:Response")
    assert rejected.inputs["responseType"] == "BAD_REQUEST_BODY"
    template = json.loads(rejected.inputs["responseTemplates"]["application/json"])
    assert template == {
        "error": "invalid_request",
        "message": "the body must be a JSON object",
        "requestId": "$context.requestId",
    }


def test_e_authorization_is_configurable_and_redeploys_the_stage(
    stack: StackRun, unprotected: StackRun
) -> None:
    assert unprotected.one("aws:apigateway/method:Method").inputs["authorization"] == "NONE"

    def trigger(run: StackRun) -> Any:
        return run.one("aws:apigateway/deployment:Deployment").inputs["triggers"]["redeployment"]

    assert trigger(stack) != trigger(unprotected)


def test_f_no_data_trace_info_logging_and_json_access_logs_to_the_encrypted_group(
    stack: StackRun,
) -> None:
    settings = stack.one("aws:apigateway/methodSettings:MethodSettings").inputs["settings"]
    assert settings["dataTraceEnabled"] is False
    assert settings["loggingLevel"] == "INFO"
    stage = stack.one("aws:apigateway/stage:Stage")
    access = stage.inputs["accessLogSettings"]
    log_format = json.loads(access["format"])
    assert log_format["requestId"] == "$context.requestId"
    assert not any("body" in value.lower() for value in log_format.values())
    (group,) = stack.linked(stage, "accessLogSettings")
    assert group.type == "aws:cloudwatch/logGroup:LogGroup"
    assert "kmsKeyId" in group.inputs


def test_f_api_gateway_account_has_its_cloudwatch_role(stack: StackRun) -> None:
    account = stack.one("aws:apigateway/account:Account")
    (role,) = stack.linked(account, "cloudwatchRoleArn")
    assert statements(role.inputs["assumeRolePolicy"])[0]["Principal"] == {
        "Service": "apigateway.amazonaws.com"
    }
    attachment = stack.one(
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "payments-api-cloudwatch-role-policy"
    )
    assert attachment.inputs["policyArn"].endswith("AmazonAPIGatewayPushToCloudWatchLogs")
    stage = stack.one("aws:apigateway/stage:Stage")
    assert account.urn in stage.dependencies


def _alarms(stack: StackRun, kind: str) -> list[dict[str, Any]]:
    return [
        alarm.inputs
        for alarm in stack.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
        if f"-{kind}-" in alarm.inputs["name"]
    ]


def test_g_error_alarm_is_errors_over_invocations_above_one_percent(stack: StackRun) -> None:
    alarms = _alarms(stack, "error-rate")
    assert len(alarms) == 2
    for alarm in alarms:
        assert "statistic" not in alarm
        assert alarm["threshold"] == 1.0
        assert alarm["comparisonOperator"] == "GreaterThanThreshold"
        queries = {q["id"]: q for q in alarm["metricQueries"]}
        assert queries["errors"]["metric"]["metricName"] == "Errors"
        assert queries["invocations"]["metric"]["metricName"] == "Invocations"
        assert "100 * errors / invocations" in queries["result"]["expression"]
        assert queries["result"]["returnData"] is True


def test_g_throttle_alarm_watches_dynamodb_throttle_metrics_not_user_errors(
    stack: StackRun,
) -> None:
    alarms = _alarms(stack, "throttles")
    assert len(alarms) == 2
    for alarm in alarms:
        metrics = {q["metric"]["metricName"] for q in alarm["metricQueries"] if "metric" in q}
        assert metrics == {"ReadThrottleEvents", "WriteThrottleEvents", "ThrottledRequests"}


def test_g_every_alarm_notifies_the_encrypted_topic(stack: StackRun) -> None:
    topic = stack.one("aws:sns/topic:Topic")
    assert "kmsMasterKeyId" in topic.inputs
    alarms = stack.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
    assert len(alarms) == 6
    for alarm in alarms:
        assert stack.linked(alarm, "alarmActions") == [topic]


def test_g_alarm_email_subscribes_to_the_topic_when_configured(stack: StackRun) -> None:
    assert not stack.of_type("aws:sns/topicSubscription:TopicSubscription")
    run = run_stack(alarmEmail="payments-oncall@example.com")
    subscription = run.one("aws:sns/topicSubscription:TopicSubscription")
    assert (subscription.inputs["protocol"], subscription.inputs["endpoint"]) == (
        "email",
        "payments-oncall@example.com",
    )


def _function_role(stack: StackRun, function: str) -> Registration:
    (role,) = stack.linked(
        stack.one("aws:lambda/function:Function", f"function-{function}"), "role"
    )
    return role


def _allowed_statements(stack: StackRun, role: Registration) -> list[dict[str, Any]]:
    return [
        s
        for policy in stack.of_type("aws:iam/rolePolicy:RolePolicy")
        if stack.linked(policy, "role") == [role]
        for s in statements(policy.inputs["policy"])
        if s["Effect"] == "Allow"
    ]


def _granted(stack: StackRun, role: Registration, services: tuple[str, ...]) -> dict[str, set[str]]:
    """Resource -> actions the role's inline policies allow on it, for actions of `services`."""
    actions: dict[str, set[str]] = {}
    for statement in _allowed_statements(stack, role):
        wanted = {a for a in statement["Action"] if a.split(":")[0] in services}
        resources = statement["Resource"]
        for resource in [resources] if isinstance(resources, str) else resources:
            if wanted:
                actions.setdefault(resource, set()).update(wanted)
    return actions


def test_h_each_function_runs_with_its_own_role(stack: StackRun) -> None:
    roles = {f: _function_role(stack, f) for f in ("payment-processor", "payment-validator")}
    assert len({role.urn for role in roles.values()}) == 2
    for function, role in roles.items():
        assert role.inputs["name"] == f"payments-fn-{function}-prod"
        assert statements(role.inputs["assumeRolePolicy"])[0]["Principal"] == {
            "Service": "lambda.amazonaws.com"
        }


def test_h_every_trust_policy_is_bound_to_this_account(stack: StackRun) -> None:
    """No confused deputy: a service assumes a role only on behalf of this account."""
    roles = stack.of_type("aws:iam/role:Role")
    assert len(roles) == 4
    for role in roles:
        [trust] = statements(role.inputs["assumeRolePolicy"])
        assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT_ID}}


def test_h_processor_role_grants_exactly_the_data_access_its_handler_uses(
    stack: StackRun,
) -> None:
    tables = stack.outputs["tableArns"]
    role = _function_role(stack, "payment-processor")
    assert _granted(stack, role, DATA_SERVICES) == {
        # Nothing is deleted: a completed payment cannot be removed by the function's role.
        tables["transactions"]: {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"},
        tables["customers"]: {"dynamodb:GetItem"},
        f"arn:aws:s3:::{ACCOUNT_ID}-payment-receipts-prod/receipts/*": {"s3:PutObject"},
        f"arn:aws:ssm:{REGION}:{ACCOUNT_ID}:parameter/payments/prod/identifier-key": {
            "ssm:GetParameter"
        },
    }


def test_h_validator_role_has_no_data_access(stack: StackRun) -> None:
    role = _function_role(stack, "payment-validator")
    assert _granted(stack, role, DATA_SERVICES) == {}
    assert {a for s in _allowed_statements(stack, role) for a in s["Action"]} == {
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
    }


@pytest.mark.parametrize("function", ["payment-processor", "payment-validator"])
def test_h_each_role_writes_only_its_own_functions_logs_in_the_region(
    stack: StackRun, function: str
) -> None:
    role = _function_role(stack, function)
    assert _granted(stack, role, ("logs",)) == {
        f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:/aws/lambda/{function}-prod:*": {
            "logs:CreateLogStream",
            "logs:PutLogEvents",
        }
    }
    for statement in _allowed_statements(stack, role):
        assert statement["Condition"] == {"StringEquals": {"aws:RequestedRegion": REGION}}


def test_h_only_the_processors_role_may_use_the_key_beyond_logs_and_alarms(
    stack: StackRun,
) -> None:
    key = stack.one("aws:kms/key:Key")
    processor = _function_role(stack, "payment-processor")
    validator = _function_role(stack, "payment-validator")
    (grant,) = [
        s
        for s in statements(key.inputs["policy"])
        if s["Sid"] == "PaymentFunctionsUseKeyViaTheirServices"
    ]
    assert grant["Principal"] == {
        "AWS": [f"arn:aws:iam::{ACCOUNT_ID}:role/{processor.inputs['name']}"]
    }
    assert set(grant["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey"}
    # Only through the services holding the data it uses, never a direct call to KMS.
    assert grant["Condition"] == {
        "StringEquals": {
            "kms:ViaService": [
                f"{service}.{REGION}.amazonaws.com"
                for service in ("dynamodb", "s3", "ssm", "lambda")
            ]
        }
    }
    assert processor.urn in key.dependencies
    assert validator.urn not in key.dependencies
    assert validator.inputs["name"] not in key.inputs["policy"]


def test_h_every_role_denies_other_regions(stack: StackRun) -> None:
    roles = stack.of_type("aws:iam/role:Role")
    assert len(roles) == 4
    for role in roles:
        denies = [
            s
            for policy in stack.of_type("aws:iam/rolePolicy:RolePolicy")
            if stack.linked(policy, "role") == [role]
            for s in statements(policy.inputs["policy"])
            if s["Effect"] == "Deny"
        ]
        assert denies == [
            {
                "Sid": "DenyOtherRegions",
                "Effect": "Deny",
                "Action": "*",
                "Resource": "*",
                "Condition": {"StringNotEquals": {"aws:RequestedRegion": REGION}},
            }
        ], role.name


def test_i_functions_run_python_code_built_from_lambda_packages(stack: StackRun) -> None:
    for function in stack.of_type("aws:lambda/function:Function"):
        assert function.inputs["runtime"] in ("python3.12", "python3.13")
        assert function.inputs["handler"] == "app.handler"
        (code,) = stack.linked(function, "s3Key")
        path = Path(code.inputs["source"].path)
        assert path.parent.parts[-2:] == ("build", "lambda")
        digest = hashlib.sha256(path.read_bytes()).digest()
        assert function.inputs["sourceCodeHash"] == base64.b64encode(digest).decode()
        assert (
            code.inputs["key"]
            == f"{function.inputs['name'].removesuffix('-prod')}/{digest.hex()}.zip"
        )


def test_i_deprecated_runtime_in_the_inventory_is_refused(tmp_path: Path) -> None:
    inventory = tmp_path / "inventory.json"
    document = json.loads((PROJECT_ROOT / "config" / "dev-config.json").read_text())
    document["lambdaFunctions"][1]["runtime"] = "nodejs18.x"
    inventory.write_text(json.dumps(document))
    with pytest.raises(ConfigError, match=r"\$\.lambdaFunctions\[1\]\.runtime: runtime 'nodejs18"):
        run_stack(inventoryFile=str(inventory))


STATEFUL = (
    "aws:kms/key:Key",
    "aws:dynamodb/table:Table",
    "aws:s3/bucket:Bucket",
    "aws:backup/vault:Vault",
)


def test_j_key_tables_buckets_and_vault_are_protected(stack: StackRun) -> None:
    protected = {r.type for r in stack.registrations if r.protect}
    assert protected == set(STATEFUL)
    assert all(r.protect for token in STATEFUL for r in stack.of_type(token))
    for table in stack.of_type("aws:dynamodb/table:Table"):
        assert table.inputs["deletionProtectionEnabled"] is True
    for token in ("aws:s3/bucket:Bucket", "aws:backup/vault:Vault"):
        assert not any(r.inputs["forceDestroy"] for r in stack.of_type(token))


def test_j_protection_can_be_lifted_for_non_production_stacks(unprotected: StackRun) -> None:
    assert not any(r.protect for r in unprotected.registrations)
    for table in unprotected.of_type("aws:dynamodb/table:Table"):
        assert table.inputs["deletionProtectionEnabled"] is False
    for token in ("aws:s3/bucket:Bucket", "aws:backup/vault:Vault"):
        assert all(r.inputs["forceDestroy"] for r in unprotected.of_type(token))


def test_also_bucket_names_carry_the_account_id_or_the_configured_prefix(stack: StackRun) -> None:
    buckets = ("payment-documents", "payment-receipts", "lambda-code", "audit-trail")
    names = {b.inputs["bucket"] for b in stack.of_type("aws:s3/bucket:Bucket")}
    assert names == {f"{ACCOUNT_ID}-{n}-prod" for n in buckets}
    prefixed = run_stack(bucketPrefix="acme-payments")
    assert {b.inputs["bucket"] for b in prefixed.of_type("aws:s3/bucket:Bucket")} == {
        f"acme-payments-{n}-prod" for n in buckets
    }


def test_also_every_bucket_denies_requests_without_tls(stack: StackRun) -> None:
    buckets = stack.of_type("aws:s3/bucket:Bucket")
    policies = stack.of_type("aws:s3/bucketPolicy:BucketPolicy")
    assert {stack.linked(p, "bucket")[0].urn for p in policies} == {b.urn for b in buckets}
    for policy in policies:
        (bucket,) = stack.linked(policy, "bucket")
        (deny,) = [
            s
            for s in statements(policy.inputs["policy"])
            if s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        ]
        assert (deny["Effect"], deny["Principal"], deny["Action"]) == ("Deny", "*", "s3:*")
        arn = f"arn:aws:s3:::{bucket.inputs['bucket']}"
        assert deny["Resource"] == [arn, f"{arn}/*"]


def test_also_waf_blocks_clients_over_a_rate_limit(stack: StackRun) -> None:
    rules = stack.one("aws:wafv2/webAcl:WebAcl").inputs["rules"]
    (rate,) = [r for r in rules if "rateBasedStatement" in r["statement"]]
    assert rate["action"] == {"block": {}}
    assert rate["statement"]["rateBasedStatement"] == {"limit": 2000, "aggregateKeyType": "IP"}
