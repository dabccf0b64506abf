"""Recording a payment exactly once per caller and idempotency key, in the transactions table.

The transaction item is its own idempotency record: its `transactionId` is a keyed HMAC of the
caller and the idempotency key (`identifiers`), so one conditional put
(`attribute_not_exists(transactionId)`) both claims the key and records the transaction, final
from that write on. The item holds a keyed hash of the request, so a reused key with a different
request is told apart from a retry. The receipt is written after the transaction is final and its
key recorded on the item last, so no receipt ever exists for a payment that is not recorded; a
replay of a transaction whose receipt is missing (its first invocation failed after the put)
writes it. Nothing is ever deleted.
"""

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from payments_core.identifiers import Identifiers
from payments_core.validation import PaymentRequest

COMPLETED = "COMPLETED"

_CONDITION_FAILED = ("ConditionalCheckFailedException", "TransactionConflictException")


@dataclass(frozen=True)
class Transaction:
    transaction_id: str
    caller: str
    payment: PaymentRequest
    request_hash: str
    created_at: str
    environment: str


@dataclass(frozen=True)
class Recorded:
    """The transaction is recorded; `receipt_stored` says whether its receipt is too."""

    transaction: Transaction
    replayed: bool
    receipt_stored: bool


@dataclass(frozen=True)
class KeyReused:
    """The caller used the idempotency key before for a different request."""


RecordOutcome = Recorded | KeyReused


class TransactionStore:
    """The customers and transactions tables, through a low-level DynamoDB client."""

    def __init__(
        self,
        dynamodb: Any,
        identifiers: Identifiers,
        transactions_table: str,
        customers_table: str,
    ) -> None:
        self._dynamodb = dynamodb
        self._identifiers = identifiers
        self._transactions_table = transactions_table
        self._customers_table = customers_table

    def may_charge(self, caller: str, customer_id: str) -> bool:
        """Whether the customer exists and lists the caller among those who may charge it (the
        string set `callers` of its item). An unknown and a foreign customer look the same."""
        item = self._dynamodb.get_item(
            TableName=self._customers_table,
            Key={"customerId": {"S": customer_id}},
            ProjectionExpression="callers",
            ConsistentRead=True,
        ).get("Item", {})
        return caller in item.get("callers", {}).get("SS", [])

    def record(
        self, caller: str, payment: PaymentRequest, environment: str, now: datetime
    ) -> RecordOutcome:
        transaction = Transaction(
            transaction_id=self._identifiers.transaction_id(caller, payment.idempotency_key),
            caller=caller,
            payment=payment,
            request_hash=self._identifiers.request_hash(caller, _payment_document(payment)),
            created_at=now.astimezone(UTC).isoformat(timespec="milliseconds"),
            environment=environment,
        )
        try:
            self._dynamodb.put_item(
                TableName=self._transactions_table,
                Item=_item(transaction),
                ConditionExpression="attribute_not_exists(transactionId)",
            )
        except ClientError as error:
            if _error_code(error) not in _CONDITION_FAILED:
                raise
            return self._recorded_before(transaction)
        return Recorded(transaction, replayed=False, receipt_stored=False)

    def record_receipt(self, transaction: Transaction, receipt_key: str) -> None:
        self._dynamodb.update_item(
            TableName=self._transactions_table,
            Key={"transactionId": {"S": transaction.transaction_id}},
            UpdateExpression="SET receiptKey = :receipt",
            ConditionExpression="#status = :completed",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={
                ":receipt": {"S": receipt_key},
                ":completed": {"S": COMPLETED},
            },
        )

    def _recorded_before(self, transaction: Transaction) -> RecordOutcome:
        item = self._dynamodb.get_item(
            TableName=self._transactions_table,
            Key={"transactionId": {"S": transaction.transaction_id}},
            ConsistentRead=True,
        )["Item"]
        if item["requestHash"]["S"] != transaction.request_hash:
            return KeyReused()
        first = Transaction(
            transaction_id=transaction.transaction_id,
            caller=transaction.caller,
            payment=transaction.payment,
            request_hash=transaction.request_hash,
            created_at=item["createdAt"]["S"],
            environment=item["environment"]["S"],
        )
        return Recorded(first, replayed=True, receipt_stored="receiptKey" in item)


def _payment_document(payment: PaymentRequest) -> str:
    return json.dumps(
        {
            "idempotencyKey": payment.idempotency_key,
            "customerId": payment.customer_id,
            "amount": str(payment.amount),
            "currency": payment.currency,
            "paymentMethodToken": payment.payment_method_token,
            "description": payment.description,
        },
        sort_keys=True,
        separators=(",", ":"),
    )


def _item(transaction: Transaction) -> dict[str, dict[str, str]]:
    payment = transaction.payment
    item = {
        "transactionId": {"S": transaction.transaction_id},
        "caller": {"S": transaction.caller},
        "requestHash": {"S": transaction.request_hash},
        "status": {"S": COMPLETED},
        "customerId": {"S": payment.customer_id},
        "amount": {"N": str(payment.amount)},
        "currency": {"S": payment.currency},
        "paymentMethodToken": {"S": payment.payment_method_token},
        "createdAt": {"S": transaction.created_at},
        "environment": {"S": transaction.environment},
    }
    if payment.description is not None:
        item["description"] = {"S": payment.description}
    return item


def _error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))
