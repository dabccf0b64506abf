"""The stack's exports: the seed's outputs, keyed by inventory name, and the migration summary."""

from tests.infra.stack_harness import ACCOUNT_ID, MIGRATION_DATE, REGION, StackRun


def test_stack_exports_the_seed_outputs_and_useful_extras(stack: StackRun) -> None:
    assert set(stack.outputs) == {
        "kmsKeyArn",
        "bucketArns",
        "bucketNames",
        "tableArns",
        "tableNames",
        "lambdaArns",
        "functionNames",
        "apiEndpoint",
        "paymentUrl",
        "alarmTopicArn",
        "auditTrailArn",
        "dashboardName",
        "migrationSummary",
    }


def test_resource_outputs_are_keyed_by_inventory_name(stack: StackRun) -> None:
    assert stack.outputs["kmsKeyArn"] == f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/key-id"
    assert stack.outputs["bucketNames"] == {
        name: f"{ACCOUNT_ID}-{name}-prod"
        for name in ("payment-documents", "payment-receipts", "lambda-code")
    }
    assert (
        stack.outputs["bucketArns"]["lambda-code"] == f"arn:aws:s3:::{ACCOUNT_ID}-lambda-code-prod"
    )
    assert stack.outputs["tableNames"] == {
        "transactions": "transactions-prod",
        "customers": "customers-prod",
    }
    assert stack.outputs["lambdaArns"]["payment-processor"] == (
        f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:payment-processor-prod"
    )
    assert stack.outputs["apiEndpoint"] == f"https://api-id.execute-api.{REGION}.amazonaws.com/prod"
    assert stack.outputs["paymentUrl"] == stack.outputs["apiEndpoint"] + "/payment"
    assert stack.outputs["dashboardName"] == "payments-dashboard-prod"


def test_migration_summary_says_where_from_when_and_how_much(stack: StackRun) -> None:
    assert stack.outputs["migrationSummary"] == {
        "region": REGION,
        "environment": "production",
        "migratedFrom": "dev",
        "migrationDate": MIGRATION_DATE,
        "inventory": "config/dev-config.json",
        "resourceCounts": {"s3Buckets": 3, "dynamoTables": 2, "lambdaFunctions": 2},
    }
