"""POST /payment: read strictly, check the caller may charge the customer, record the transaction
once per caller and idempotency key, then store its receipt."""

import os
import traceback
from datetime import UTC, datetime
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext
from payments_core.config import load_processor_settings
from payments_core.http_api import (
    RequestRejected,
    caller_principal,
    error_response,
    json_response,
    read_json_body,
    rejection_response,
    request_id,
    require_route,
)
from payments_core.identifiers import parameter_identifiers
from payments_core.receipts import ReceiptWriter
from payments_core.transactions import KeyReused, Recorded, TransactionStore
from payments_core.validation import PaymentRequest, validate_payment

settings = load_processor_settings(os.environ)
logger = Logger()
logger.append_keys(environment=settings.environment)
tracer = Tracer()
store = TransactionStore(
    boto3.client("dynamodb"),
    parameter_identifiers(boto3.client("ssm"), settings.id_key_parameter),
    settings.transactions_table,
    settings.customers_table,
)
receipts = ReceiptWriter(boto3.client("s3"), settings.receipts_bucket, settings.receipts_kms_key_id)


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler(capture_response=False, capture_error=False)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    caller_request_id = request_id(event, context.aws_request_id)
    logger.set_correlation_id(caller_request_id)
    try:
        return _process(event)
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
            "the payment could not be confirmed; retry with the same idempotency key, "
            "or quote the request id when asking about it",
            caller_request_id,
        )


def _process(event: dict[str, Any]) -> dict[str, Any]:
    require_route(event, "POST", "/payment")
    caller = caller_principal(event)
    payment = _valid_payment(read_json_body(event, settings.max_body_bytes))
    if not store.may_charge(caller, payment.customer_id):
        raise RequestRejected(404, "customer_not_found", "no such customer")
    outcome = store.record(caller, payment, settings.environment, datetime.now(UTC))
    if isinstance(outcome, KeyReused):
        raise RequestRejected(
            409, "idempotency_key_reused", "the idempotency key was used for a different request"
        )
    return _confirmed(outcome)


def _valid_payment(document: object) -> PaymentRequest:
    verdict = validate_payment(document, settings.limits)
    if verdict.payment is None:
        raise RequestRejected(
            400, "validation_failed", "the request has invalid fields", problems=verdict.problems
        )
    return verdict.payment


def _confirmed(outcome: Recorded) -> dict[str, Any]:
    """Store the receipt of a recorded transaction that has none yet, then answer 201."""
    transaction = outcome.transaction
    if not outcome.receipt_stored:
        store.record_receipt(transaction, receipts.write(transaction))
    logger.info(
        "payment replayed" if outcome.replayed else "payment recorded",
        extra={"transaction_id": transaction.transaction_id},
    )
    headers = {"Idempotent-Replayed": "true"} if outcome.replayed else {}
    return json_response(201, {"transactionId": transaction.transaction_id}, headers)
