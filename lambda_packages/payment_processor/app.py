"""POST /payment: validate, check the customer, record the transaction once, store its receipt."""

import os
import traceback
from datetime import UTC, datetime
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from payments_core.config import load_processor_settings
from payments_core.http_api import (
    RequestRejected,
    error_response,
    json_response,
    read_json_body,
    rejection_response,
    request_id,
)
from payments_core.receipts import ReceiptWriter
from payments_core.transactions import (
    AlreadyCompleted,
    Claimed,
    ClaimOutcome,
    InFlight,
    KeyReused,
    Transaction,
    TransactionStore,
)
from payments_core.validation import PaymentRequest, validate_payment

settings = load_processor_settings(os.environ)
logger = Logger()
logger.append_keys(environment=settings.environment)
tracer = Tracer()
store = TransactionStore(
    boto3.client("dynamodb"), settings.transactions_table, settings.customers_table
)
receipts = ReceiptWriter(boto3.client("s3"), settings.receipts_bucket, settings.receipts_kms_key_id)


@logger.inject_lambda_context(
    correlation_id_path=correlation_paths.API_GATEWAY_REST, log_event=False
)
@tracer.capture_lambda_handler(capture_response=False, capture_error=False)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    caller_request_id = request_id(event, context.aws_request_id)
    try:
        return _process(event, context)
    except RequestRejected as rejected:
        fields = sorted({problem.field for problem in rejected.problems})
        logger.info(
            "payment request rejected",
            extra={"status": rejected.status, "error": rejected.error, "fields": fields},
        )
        return rejection_response(rejected, caller_request_id)
    except Exception as error:
        # The message of an AWS error may quote request data: log the type and the frames only.
        logger.error(
            "payment failed unexpectedly",
            extra={
                "error_type": type(error).__name__,
                "stack": "".join(traceback.format_tb(error.__traceback__)),
            },
        )
        return error_response(
            500,
            "internal_error",
            "the payment could not be processed; quote the request id when asking about it",
            caller_request_id,
        )


def _process(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    payment = _valid_payment(read_json_body(event, settings.max_body_bytes))
    if not store.customer_exists(payment.customer_id):
        raise RequestRejected(404, "customer_not_found", "no such customer")
    # The claim outlives this invocation by a second, so only a dead invocation's claim expires.
    lease_seconds = context.get_remaining_time_in_millis() // 1000 + 1
    outcome = store.claim(payment, settings.environment, datetime.now(UTC), lease_seconds)
    return _answer(outcome)


def _valid_payment(document: object) -> PaymentRequest:
    verdict = validate_payment(document, settings.limits)
    if verdict.payment is None:
        raise RequestRejected(
            400, "validation_failed", "the request has invalid fields", problems=verdict.problems
        )
    return verdict.payment


def _answer(outcome: ClaimOutcome) -> dict[str, Any]:
    match outcome:
        case Claimed(transaction):
            _record(transaction)
            logger.info("payment recorded", extra={"transaction_id": transaction.transaction_id})
            return _created(transaction.transaction_id, replayed=False)
        case AlreadyCompleted(transaction_id):
            logger.info("payment replayed", extra={"transaction_id": transaction_id})
            return _created(transaction_id, replayed=True)
        case InFlight():
            raise _in_flight()
        case KeyReused():
            raise RequestRejected(
                409,
                "idempotency_key_reused",
                "the idempotency key was used for a different request",
            )


def _record(transaction: Transaction) -> None:
    """Store the receipt and complete the transaction, or give the claim back on failure."""
    try:
        receipt_key = receipts.write(transaction)
        completed = store.complete(transaction, receipt_key)
    except Exception:
        store.release(transaction)
        raise
    if not completed:
        raise _in_flight()


def _in_flight() -> RequestRejected:
    """Another invocation holds the idempotency key right now; the caller should retry."""
    return RequestRejected(
        409,
        "request_in_progress",
        "the same request is being processed; retry after a second for its result",
        headers={"Retry-After": "1"},
    )


def _created(transaction_id: str, *, replayed: bool) -> dict[str, Any]:
    headers = {"Idempotent-Replayed": "true"} if replayed else {}
    return json_response(201, {"transactionId": transaction_id}, headers)
