"""POST /payment against moto: the HTTP contract, idempotency, receipts, and what is written."""

import base64
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from types import ModuleType
from typing import Any

import pytest
from moto.dynamodb.responses import DynamoHandler

from tests.lambda_packages.payments_harness import (
    RECEIPTS_BUCKET,
    Aws,
    CapturedLogs,
    api_event,
    invoke,
    load_function,
    payment_body,
    response_body,
)

TOKEN = "tok_9fK2xLq81Zt"


def post(processor: ModuleType, body: object, **event: Any) -> dict[str, Any]:
    return invoke(processor, api_event(body, **event))


def test_valid_payment_is_recorded_with_an_encrypted_receipt(
    processor: ModuleType, clean_aws: Aws
) -> None:
    response = post(processor, payment_body())

    assert response["statusCode"] == 201
    transaction_id = response_body(response)["transactionId"]
    [item] = clean_aws.transactions()
    assert item["transactionId"] == {"S": transaction_id}
    assert item["status"] == {"S": "COMPLETED"}
    assert Decimal(item["amount"]["N"]) == Decimal("125.50")
    assert item["receiptKey"] == {"S": f"receipts/{transaction_id}.json"}
    assert clean_aws.receipt_keys() == [f"receipts/{transaction_id}.json"]


def test_receipt_is_encrypted_with_the_configured_key_and_holds_no_token(
    processor: ModuleType, clean_aws: Aws
) -> None:
    transaction_id = response_body(post(processor, payment_body()))["transactionId"]

    receipt = clean_aws.s3.get_object(Bucket=RECEIPTS_BUCKET, Key=f"receipts/{transaction_id}.json")

    assert receipt["ServerSideEncryption"] == "aws:kms"
    assert receipt["SSEKMSKeyId"] == clean_aws.kms_key_arn
    document = json.loads(receipt["Body"].read())
    assert document == {
        "transactionId": transaction_id,
        "customerId": "cust_0001",
        "amount": "125.50",
        "currency": "EUR",
        "description": "Invoice 2026-118",
        "createdAt": document["createdAt"],
    }
    assert TOKEN not in json.dumps(document)


def test_repeated_request_returns_the_first_result_and_writes_nothing_new(
    processor: ModuleType, clean_aws: Aws
) -> None:
    first = post(processor, payment_body())
    written = clean_aws.snapshot()

    again = post(processor, payment_body())

    assert again["statusCode"] == 201
    assert again["body"] == first["body"]
    assert again["headers"]["Idempotent-Replayed"] == "true"
    assert clean_aws.snapshot() == written


def test_same_key_with_a_different_body_is_a_conflict(
    processor: ModuleType, clean_aws: Aws
) -> None:
    post(processor, payment_body())
    written = clean_aws.snapshot()

    response = post(processor, payment_body(amount="125.51"))

    assert response["statusCode"] == 409
    assert response_body(response)["error"] == "idempotency_key_reused"
    assert clean_aws.snapshot() == written


@pytest.fixture
def atomic_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make each of moto's DynamoDB requests atomic, as DynamoDB's are.

    moto evaluates a condition and then writes, and copies an item while another request may be
    changing it, all unlocked: two threads can both pass one condition, or one can fail on an
    item that changed under it. DynamoDB never lets either happen, and the processor relies on
    that, so one request at a time goes through moto's handler.
    """
    lock = threading.Lock()
    original = DynamoHandler.call_action

    def serialised(handler: DynamoHandler) -> Any:
        with lock:
            return original(handler)

    monkeypatch.setattr(DynamoHandler, "call_action", serialised)


@pytest.mark.usefixtures("atomic_requests")
def test_concurrent_duplicates_record_one_transaction_and_one_receipt(
    processor: ModuleType, clean_aws: Aws
) -> None:
    callers = 8
    start = threading.Barrier(callers)

    def call(_: int) -> dict[str, Any]:
        start.wait()
        return post(processor, payment_body())

    with ThreadPoolExecutor(max_workers=callers) as pool:
        responses = list(pool.map(call, range(callers)))

    [item] = clean_aws.transactions()
    transaction_id = item["transactionId"]["S"]
    assert [response["statusCode"] for response in responses] == [201] * callers
    assert {response_body(response)["transactionId"] for response in responses} == {transaction_id}
    assert sum("Idempotent-Replayed" not in response["headers"] for response in responses) == 1
    # A replay that finds the receipt not yet stored writes it too: the same object each time.
    assert set(clean_aws.receipt_keys()) == {f"receipts/{transaction_id}.json"}
    bodies = {
        clean_aws.s3.get_object(Bucket=RECEIPTS_BUCKET, Key=key, VersionId=version)["Body"].read()
        for key, version in clean_aws.receipt_versions()
    }
    assert len(bodies) == 1
    assert response_body(post(processor, payment_body()))["transactionId"] == transaction_id


def test_unknown_customer_is_not_found_and_nothing_is_written(
    processor: ModuleType, clean_aws: Aws
) -> None:
    response = post(processor, payment_body(customerId="cust_unknown"))

    assert response["statusCode"] == 404
    assert response_body(response)["error"] == "customer_not_found"
    assert clean_aws.snapshot() == clean_aws.pristine


@pytest.mark.parametrize(
    ("event", "status", "error"),
    [
        ({"raw": "{not json"}, 400, "invalid_request"),
        ({"raw": ""}, 400, "invalid_request"),
        ({"raw": '{"amount": ' + "1" * 5000 + "}"}, 400, "invalid_request"),
        ({"raw": "[" * 3000 + "]" * 3000}, 400, "invalid_request"),
        ({"content_type": "text/plain"}, 415, "unsupported_media_type"),
        ({"content_type": None}, 415, "unsupported_media_type"),
        ({"content_type": "application/json; charset=latin-1"}, 415, "unsupported_media_type"),
        (
            {"raw": json.dumps({**payment_body(), "description": "x" * 9000})},
            413,
            "payload_too_large",
        ),
        ({"raw": json.dumps(payment_body(amount="0"))}, 400, "validation_failed"),
    ],
)
def test_rejected_request_gets_its_status_and_writes_nothing(
    processor: ModuleType, clean_aws: Aws, event: dict[str, Any], status: int, error: str
) -> None:
    response = post(processor, payment_body(), **event)

    assert response["statusCode"] == status
    assert response_body(response)["error"] == error
    assert response_body(response)["requestId"] == "api-request-0001"
    assert clean_aws.snapshot() == clean_aws.pristine


def test_request_without_a_body_is_invalid(processor: ModuleType, clean_aws: Aws) -> None:
    event = api_event(None)
    event["body"] = None

    response = invoke(processor, event)

    assert (response["statusCode"], response_body(response)["error"]) == (400, "invalid_request")
    assert clean_aws.snapshot() == clean_aws.pristine


def test_invalid_fields_are_listed_each_with_its_problem(processor: ModuleType, aws: Aws) -> None:
    response = post(processor, payment_body(amount="12.345", currency="CHF", extra=1))

    assert response["statusCode"] == 400
    assert response_body(response)["problems"] == [
        {"field": "currency", "message": "must be one of EUR, GBP, JPY, KWD, USD"},
        {"field": "$", "message": "has fields the contract does not define"},
    ]


def test_content_type_header_is_case_insensitive_and_may_name_utf8(
    processor: ModuleType, clean_aws: Aws
) -> None:
    event = api_event(payment_body(), content_type=None)
    event["headers"] = {"content-type": "Application/JSON; charset=UTF-8"}

    assert invoke(processor, event)["statusCode"] == 201


def test_base64_encoded_body_is_decoded(processor: ModuleType, clean_aws: Aws) -> None:
    event = api_event(payment_body())
    event["body"] = base64.b64encode(event["body"].encode()).decode()
    event["isBase64Encoded"] = True

    assert invoke(processor, event)["statusCode"] == 201


@pytest.fixture
def processor_without_bucket(aws: Aws) -> ModuleType:
    return load_function(
        "payment_processor", {**aws.environment, "RECEIPTS_BUCKET": "no-such-bucket"}
    )


def test_unexpected_failure_is_500_with_request_id_and_no_receipt(
    processor_without_bucket: ModuleType, clean_aws: Aws, function_logs: CapturedLogs
) -> None:
    response = post(processor_without_bucket, payment_body(), request_id="api-request-0500")

    assert response["statusCode"] == 500
    assert response_body(response) == {
        "error": "internal_error",
        "message": "the payment could not be confirmed; retry with the same idempotency key, "
        "or quote the request id when asking about it",
        "requestId": "api-request-0500",
    }
    [item] = clean_aws.transactions()
    assert "receiptKey" not in item
    assert clean_aws.receipt_versions() == []
    [failure] = [record for record in function_logs.records() if record["level"] == "ERROR"]
    assert failure["error_type"] == "NoSuchBucket"
    assert "no-such-bucket" not in function_logs.text
    assert TOKEN not in function_logs.text


@pytest.mark.parametrize("event", [None, "POST /payment", [1, 2]])
def test_event_that_is_no_proxy_request_is_500_with_the_invocations_request_id(
    processor: ModuleType, clean_aws: Aws, event: object
) -> None:
    response = invoke(processor, event)

    assert response["statusCode"] == 500
    assert response_body(response)["requestId"] == "lambda-request-0001"
    assert clean_aws.snapshot() == clean_aws.pristine


def test_logs_are_json_with_request_ids_and_no_payment_data(
    processor: ModuleType, clean_aws: Aws, function_logs: CapturedLogs
) -> None:
    post(processor, payment_body())
    post(processor, payment_body(amount="1.001"))

    records = function_logs.records()
    assert records
    assert {record["function_request_id"] for record in records} == {"lambda-request-0001"}
    assert {record["correlation_id"] for record in records} == {"api-request-0001"}
    for secret in (TOKEN, "125.50", "1.001", "Invoice 2026-118"):
        assert secret not in function_logs.text
