"""Fixtures: moto's tables, receipts bucket and KMS key (in process), the functions, their logs."""

from collections.abc import Iterator
from types import ModuleType

import boto3
import pytest
from moto import mock_aws

from tests.lambda_packages.payments_harness import (
    CALLER,
    CUSTOMERS_TABLE,
    ID_KEY,
    ID_KEY_PARAMETER,
    KNOWN_CUSTOMER,
    RECEIPTS_BUCKET,
    REGION,
    TRANSACTIONS_TABLE,
    Aws,
    CapturedLogs,
    captured_logs,
    function_environment,
    load_function,
)


@pytest.fixture(scope="session", autouse=True)
def _lambda_runtime_environment() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_DEFAULT_REGION", REGION)
        patch.setenv("AWS_ACCESS_KEY_ID", "testing")
        patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        patch.delenv("AWS_PROFILE", raising=False)
        patch.setenv("POWERTOOLS_SERVICE_NAME", "payments")
        patch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
        patch.setenv("POWERTOOLS_LOG_LEVEL", "DEBUG")
        yield


@pytest.fixture(scope="module")
def aws() -> Iterator[Aws]:
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        for table, key in ((TRANSACTIONS_TABLE, "transactionId"), (CUSTOMERS_TABLE, "customerId")):
            dynamodb.create_table(
                TableName=table,
                KeySchema=[{"AttributeName": key, "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"}],
                BillingMode="PAY_PER_REQUEST",
            )
        dynamodb.put_item(
            TableName=CUSTOMERS_TABLE,
            Item={"customerId": {"S": KNOWN_CUSTOMER}, "callers": {"SS": [CALLER]}},
        )
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(
            Bucket=RECEIPTS_BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        s3.put_bucket_versioning(
            Bucket=RECEIPTS_BUCKET, VersioningConfiguration={"Status": "Enabled"}
        )
        key_arn = boto3.client("kms", region_name=REGION).create_key()["KeyMetadata"]["Arn"]
        boto3.client("ssm", region_name=REGION).put_parameter(
            Name=ID_KEY_PARAMETER, Value=ID_KEY, Type="SecureString", KeyId=key_arn
        )
        world = Aws(dynamodb, s3, key_arn, function_environment(key_arn))
        world.pristine = world.snapshot()
        yield world


@pytest.fixture
def clean_aws(aws: Aws) -> Iterator[Aws]:
    aws.clear()
    yield aws
    aws.clear()


@pytest.fixture(scope="module")
def processor(aws: Aws) -> ModuleType:
    return load_function("payment_processor", aws.environment)


@pytest.fixture(scope="module")
def validator() -> ModuleType:
    return load_function("payment_validator", function_environment("unused-by-validator"))


@pytest.fixture
def function_logs() -> Iterator[CapturedLogs]:
    with captured_logs() as captured:
        yield captured
