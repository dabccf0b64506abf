"""Every write the processor makes, failed in turn: none leaves evidence of a payment that did not
happen (a receipt without its completed transaction), and a retry with the same key completes
what the first attempt could not."""

from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.lambda_packages.payments_harness import (
    RECEIPTS_BUCKET,
    Aws,
    api_event,
    invoke,
    payment_body,
    response_body,
)

# Each write: the client attribute of the processor's store or receipt writer, and its operation.
WRITES = {
    "transaction put": ("store", "_dynamodb", "put_item"),
    "receipt put": ("receipts", "_s3", "put_object"),
    "receipt key update": ("store", "_dynamodb", "update_item"),
}


class FailingClient:
    """A boto3 client whose `operation` fails once, as a throttled or unavailable service does."""

    def __init__(self, client: Any, operation: str) -> None:
        self._client = client
        self._operation = operation
        self.failed = 0

    def __getattr__(self, name: str) -> Any:
        if name == self._operation and not self.failed:
            return self._fail
        return getattr(self._client, name)

    def _fail(self, **_: Any) -> None:
        self.failed += 1
        raise ClientError(
            {"Error": {"Code": "InternalServerError", "Message": "injected"}}, self._operation
        )


@pytest.fixture(params=sorted(WRITES))
def failing_write(
    request: pytest.FixtureRequest, processor: ModuleType, clean_aws: Aws
) -> Iterator[FailingClient]:
    owner_name, attribute, operation = WRITES[request.param]
    owner = getattr(processor, owner_name)
    client = getattr(owner, attribute)
    failing = FailingClient(client, operation)
    setattr(owner, attribute, failing)
    yield failing
    setattr(owner, attribute, client)


def assert_no_evidence_without_a_payment(aws: Aws) -> None:
    """Every receipt version belongs to a completed transaction of the same id, and every
    transaction is completed (there is no other state to be left in)."""
    completed = {
        item["transactionId"]["S"]
        for item in aws.transactions()
        if item["status"] == {"S": "COMPLETED"}
    }
    assert len(completed) == len(aws.transactions())
    for key, _ in aws.receipt_versions():
        assert key.removeprefix("receipts/").removesuffix(".json") in completed


def test_a_failed_write_leaves_no_orphan_and_the_retry_completes(
    processor: ModuleType, clean_aws: Aws, failing_write: FailingClient
) -> None:
    first = invoke(processor, api_event(payment_body()))

    assert failing_write.failed == 1
    assert first["statusCode"] == 500
    assert_no_evidence_without_a_payment(clean_aws)

    retry = invoke(processor, api_event(payment_body()))

    assert retry["statusCode"] == 201
    transaction_id = response_body(retry)["transactionId"]
    [item] = clean_aws.transactions()
    assert item["receiptKey"] == {"S": f"receipts/{transaction_id}.json"}
    clean_aws.s3.head_object(Bucket=RECEIPTS_BUCKET, Key=f"receipts/{transaction_id}.json")
    assert_no_evidence_without_a_payment(clean_aws)


def test_when_the_transaction_put_fails_nothing_at_all_is_written(
    processor: ModuleType, clean_aws: Aws
) -> None:
    failing = FailingClient(processor.store._dynamodb, "put_item")
    processor.store._dynamodb = failing
    try:
        response = invoke(processor, api_event(payment_body()))
    finally:
        processor.store._dynamodb = failing._client

    assert response["statusCode"] == 500
    assert clean_aws.snapshot() == clean_aws.pristine
