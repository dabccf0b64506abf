"""Each component registers its resources with the properties the issue asks for."""

import json

import pytest

from tests.infra.stack_harness import (
    ACCOUNT_ID,
    MIGRATION_DATE,
    REGION,
    Registration,
    StackRun,
    statements,
    taggable,
)

BUCKETS = ("payment-documents", "payment-receipts", "lambda-code")
TABLES = ("transactions", "customers")
FUNCTIONS = ("payment-processor", "payment-validator")
STACK_TAGS = {"Environment": "production", "MigratedFrom": "dev", "MigrationDate": MIGRATION_DATE}


def test_every_custom_resource_sits_in_a_payments_component(stack: StackRun) -> None:
    components = {r.urn: r.type for r in stack.registrations if not r.custom}
    assert set(components.values()) == {
        "payments:kms:Key",
        "payments:storage:Bucket",
        "payments:database:Table",
        "payments:backup:Plan",
        "payments:audit:Trail",
        "payments:iam:LambdaRole",
        "payments:functions:Function",
        "payments:waf:WebAcl",
        "payments:api:RestApi",
        "payments:monitoring:Monitoring",
    }
    assert all(r.parent in components for r in stack.registrations if r.custom)


def test_every_taggable_resource_carries_the_stack_tags(stack: StackRun) -> None:
    tagged = [r for r in stack.registrations if r.custom and taggable(r.type)]
    assert len(tagged) > 20
    for registration in tagged:
        assert STACK_TAGS.items() <= registration.inputs.get("tags", {}).items(), registration.name


def test_kms_key_rotates_and_has_an_alias(stack: StackRun) -> None:
    key = stack.one("aws:kms/key:Key")
    assert key.inputs["enableKeyRotation"] is True
    assert key.inputs["deletionWindowInDays"] == 30
    alias = stack.one("aws:kms/alias:Alias")
    assert alias.inputs["name"] == "alias/payments-prod"
    assert stack.linked(alias, "targetKeyId") == [key]


@pytest.mark.parametrize("name", BUCKETS)
def test_bucket_is_versioned_encrypted_archived_private_and_linked(
    stack: StackRun, name: str
) -> None:
    bucket = stack.one("aws:s3/bucket:Bucket", f"bucket-{name}")
    key = stack.one("aws:kms/key:Key")

    def config(token: str, suffix: str) -> Registration:
        registration = stack.one(token, f"bucket-{name}-{suffix}")
        assert stack.linked(registration, "bucket") == [bucket]
        assert registration.parent == bucket.parent
        return registration

    versioning = config("aws:s3/bucketVersioning:BucketVersioning", "versioning")
    assert versioning.inputs["versioningConfiguration"]["status"] == "Enabled"
    encryption = config(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "encryption",
    )
    (rule,) = encryption.inputs["rules"]
    assert rule["bucketKeyEnabled"] is True
    assert rule["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "aws:kms"
    assert stack.linked(encryption, "rules") == [key]
    lifecycle = config(
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "lifecycle"
    )
    (rule,) = lifecycle.inputs["rules"]
    assert rule["status"] == "Enabled"
    assert rule["transitions"] == [{"days": 90, "storageClass": "GLACIER"}]
    ownership = config("aws:s3/bucketOwnershipControls:BucketOwnershipControls", "ownership")
    assert ownership.inputs["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
    block = config("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "public-access-block")
    assert all(
        block.inputs[flag] is True
        for flag in (
            "blockPublicAcls",
            "blockPublicPolicy",
            "ignorePublicAcls",
            "restrictPublicBuckets",
        )
    )
    config("aws:s3/bucketPolicy:BucketPolicy", "tls-only")


@pytest.mark.parametrize("name", TABLES)
def test_table_is_on_demand_with_pitr(stack: StackRun, name: str) -> None:
    table = stack.one("aws:dynamodb/table:Table", f"table-{name}")
    assert table.inputs["name"] == f"{name}-prod"
    assert table.inputs["billingMode"] == "PAY_PER_REQUEST"
    assert table.inputs["pointInTimeRecovery"] == {"enabled": True}
    assert table.inputs["hashKey"] == f"{name.removesuffix('s')}Id"


def test_backup_plan_runs_daily_at_3_utc_keeps_30_days_and_selects_every_table(
    stack: StackRun,
) -> None:
    vault = stack.one("aws:backup/vault:Vault")
    plan = stack.one("aws:backup/plan:Plan")
    (rule,) = plan.inputs["rules"]
    assert rule["schedule"] == "cron(0 3 * * ? *)"
    assert rule["lifecycle"] == {"deleteAfter": 30}
    assert stack.linked(plan, "rules") == [vault]
    lock = stack.one("aws:backup/vaultLockConfiguration:VaultLockConfiguration")
    assert stack.linked(lock, "backupVaultName") == [vault]
    assert lock.inputs["minRetentionDays"] == 30
    assert "changeableForDays" not in lock.inputs
    role = stack.one("aws:iam/role:Role", "payments-backup-role")
    assert statements(role.inputs["assumeRolePolicy"])[0]["Principal"] == {
        "Service": "backup.amazonaws.com"
    }
    selected = {
        stack.linked(selection, "resources")[0].name
        for selection in stack.of_type("aws:backup/selection:Selection")
    }
    assert selected == {f"table-{name}" for name in TABLES}
    for selection in stack.of_type("aws:backup/selection:Selection"):
        assert stack.linked(selection, "planId") == [plan]
        assert stack.linked(selection, "iamRoleArn") == [role]


@pytest.mark.parametrize("name", FUNCTIONS)
def test_function_is_traced_sized_reserved_and_logs_to_its_group(
    stack: StackRun, name: str
) -> None:
    function = stack.one("aws:lambda/function:Function", f"function-{name}")
    inputs = function.inputs
    assert inputs["name"] == f"{name}-prod"
    assert inputs["tracingConfig"] == {"mode": "Active"}
    assert (inputs["memorySize"], inputs["timeout"]) == (512, 30)
    assert inputs["reservedConcurrentExecutions"] == 10
    assert inputs["environment"]["variables"]["ENVIRONMENT"] == "production"
    log_group = stack.one("aws:cloudwatch/logGroup:LogGroup", f"function-{name}-logs")
    assert log_group.inputs["name"] == f"/aws/lambda/{name}-prod"
    assert log_group.inputs["retentionInDays"] == 30
    assert inputs["loggingConfig"]["logGroup"] == log_group.inputs["name"]
    assert stack.linked(function, "loggingConfig") == [log_group]
    (layer,) = inputs["layers"]
    assert layer.startswith(
        f"arn:aws:lambda:{REGION}:017000801446:layer:AWSLambdaPowertoolsPythonV3-python312-x86_64:"
    )


def test_function_environment_is_what_the_handlers_require(stack: StackRun) -> None:
    variables = stack.one("aws:lambda/function:Function", "function-payment-processor").inputs[
        "environment"
    ]["variables"]
    assert variables == {
        "TRANSACTIONS_TABLE": "transactions-prod",
        "CUSTOMERS_TABLE": "customers-prod",
        "RECEIPTS_BUCKET": f"{ACCOUNT_ID}-payment-receipts-prod",
        "RECEIPTS_KMS_KEY_ID": f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/key-id",
        "ID_KEY_PARAMETER": "/payments/prod/identifier-key",
        "ENVIRONMENT": "production",
        "MAX_AMOUNT": "10000.00",
        "ALLOWED_CURRENCIES": "EUR,GBP,USD",
        "POWERTOOLS_SERVICE_NAME": "payment-processor",
    }


def test_waf_uses_the_managed_rule_groups_and_logs_to_an_encrypted_group(
    stack: StackRun,
) -> None:
    web_acl = stack.one("aws:wafv2/webAcl:WebAcl")
    assert web_acl.inputs["scope"] == "REGIONAL"
    managed = [
        rule["statement"]["managedRuleGroupStatement"]["name"]
        for rule in web_acl.inputs["rules"]
        if "managedRuleGroupStatement" in rule["statement"]
    ]
    assert {"AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"} <= set(managed)
    assert "AWSManagedRulesAnonymousIpList" in managed
    logging = stack.one("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration")
    assert stack.linked(logging, "resourceArn") == [web_acl]
    (group,) = stack.linked(logging, "logDestinationConfigs")
    assert group.inputs["name"].startswith("aws-waf-logs-")
    assert "kmsKeyId" in group.inputs


def test_api_routes_post_payment_to_the_processor_through_a_lambda_proxy(
    stack: StackRun,
) -> None:
    api = stack.one("aws:apigateway/restApi:RestApi")
    resource = stack.one("aws:apigateway/resource:Resource")
    assert resource.inputs["pathPart"] == "payment"
    assert stack.linked(resource, "parentId") == [api]
    method = stack.one("aws:apigateway/method:Method")
    assert method.inputs["httpMethod"] == "POST"
    integration = stack.one("aws:apigateway/integration:Integration")
    assert (integration.inputs["type"], integration.inputs["integrationHttpMethod"]) == (
        "AWS_PROXY",
        "POST",
    )
    processor = stack.one("aws:lambda/function:Function", "function-payment-processor")
    assert stack.linked(integration, "uri") == [processor]
    permission = stack.one("aws:lambda/permission:Permission")
    assert permission.inputs["principal"] == "apigateway.amazonaws.com"
    assert permission.inputs["sourceArn"].endswith("/*/POST/payment")
    assert stack.linked(permission, "function") == [processor]


def test_stage_is_traced_throttled_and_behind_the_waf(stack: StackRun) -> None:
    stage = stack.one("aws:apigateway/stage:Stage")
    assert stage.inputs["xrayTracingEnabled"] is True
    assert stack.linked(stage, "deployment") == [stack.one("aws:apigateway/deployment:Deployment")]
    settings = stack.one("aws:apigateway/methodSettings:MethodSettings")
    assert stack.linked(settings, "stageName") == [stage]
    assert settings.inputs["methodPath"] == "*/*"
    assert settings.inputs["settings"]["throttlingRateLimit"] == 1000
    assert settings.inputs["settings"]["throttlingBurstLimit"] == 2000
    association = stack.one("aws:wafv2/webAclAssociation:WebAclAssociation")
    assert stack.linked(association, "resourceArn") == [stage]
    assert stack.linked(association, "webAclArn") == [stack.one("aws:wafv2/webAcl:WebAcl")]


def test_alarms_cover_every_function_table_and_the_api_and_a_dashboard_shows_them(
    stack: StackRun,
) -> None:
    alarms = {a.inputs["name"] for a in stack.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")}
    assert alarms == {
        *(f"payments-prod-error-rate-{name}" for name in FUNCTIONS),
        *(f"payments-prod-throttles-{name}" for name in TABLES),
        "payments-prod-4xx-rate-payment-api",
        "payments-prod-5xx-rate-payment-api",
    }
    dashboard = stack.one("aws:cloudwatch/dashboard:Dashboard")
    assert dashboard.inputs["dashboardName"] == "payments-dashboard-prod"
    body = json.loads(dashboard.inputs["dashboardBody"])
    charted = {m[3] for widget in body["widgets"] for m in widget["properties"]["metrics"]}
    assert {f"{name}-prod" for name in (*FUNCTIONS, *TABLES)} <= charted
    assert {widget["properties"]["region"] for widget in body["widgets"]} == {REGION}


def test_audit_trail_records_every_payment_bucket_and_table_in_a_validated_encrypted_log(
    stack: StackRun,
) -> None:
    trail = stack.one("aws:cloudtrail/trail:Trail")
    key = stack.one("aws:kms/key:Key")
    assert trail.inputs["enableLogging"] is True
    assert trail.inputs["enableLogFileValidation"] is True
    assert trail.inputs["isMultiRegionTrail"] is False
    assert stack.linked(trail, "kmsKeyId") == [key]
    (log_bucket,) = stack.linked(trail, "s3BucketName")
    assert log_bucket.inputs["bucket"] == f"{ACCOUNT_ID}-audit-trail-prod"
    (selector,) = trail.inputs["eventSelectors"]
    assert selector["readWriteType"] == "All"
    recorded = {r["type"]: set(r["values"]) for r in selector["dataResources"]}
    assert recorded == {
        "AWS::S3::Object": {
            f"arn:aws:s3:::{ACCOUNT_ID}-{name}-prod/"
            for name in ("payment-documents", "payment-receipts", "lambda-code")
        },
        "AWS::DynamoDB::Table": {
            f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/{name}-prod"
            for name in ("transactions", "customers")
        },
    }
    (policy,) = [
        p
        for p in stack.of_type("aws:s3/bucketPolicy:BucketPolicy")
        if stack.linked(p, "bucket") == [log_bucket]
    ]
    trail_arn = f"arn:aws:cloudtrail:{REGION}:{ACCOUNT_ID}:trail/payments-audit-trail-prod"
    grants = {s["Sid"]: s for s in statements(policy.inputs["policy"]) if s["Effect"] == "Allow"}
    assert set(grants) == {"CloudTrailChecksTheBucketAcl", "CloudTrailDeliversLogFiles"}
    for grant in grants.values():
        assert grant["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
        assert grant["Condition"]["StringEquals"]["aws:SourceArn"] == trail_arn
    key_grant = next(
        s for s in statements(key.inputs["policy"]) if s["Sid"] == "CloudTrailEncryptsTheAuditTrail"
    )
    assert key_grant["Condition"]["StringEquals"] == {"aws:SourceArn": trail_arn}
