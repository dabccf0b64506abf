"""Recording a payment exactly once per idempotency key, in the transactions table.

The transaction item is its own idempotency record: its `transactionId` is derived from the
idempotency key, so one conditional put (`attribute_not_exists(transactionId)`) both claims the
key and records the transaction, within the table's single hash key. The item holds a hash of
the request, so a reused key with a different request is told apart from a retry. It starts
PENDING with a lease (the claiming invocation's remaining time) and becomes COMPLETED once the
receipt is stored; a PENDING item whose lease has run out (its invocation died) may be taken over.
"""

import dataclasses
import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from payments_core.validation import PaymentRequest

PENDING = "PENDING"
COMPLETED = "COMPLETED"

# The UUIDv5 namespace of transaction ids; changing it would change the id of every key.
_TRANSACTION_IDS = uuid.UUID("0b1e8a4c-55f2-4f4e-9d0c-6a5f0d1e2c3b")
_CONDITION_FAILED = ("ConditionalCheckFailedException", "TransactionConflictException")


@dataclass(frozen=True)
class Transaction:
    transaction_id: str
    payment: PaymentRequest
    request_hash: str
    created_at: str
    environment: str
    attempt_id: str


@dataclass(frozen=True)
class Claimed:
    """This invocation holds the key: it must store the receipt, then complete or release."""

    transaction: Transaction


@dataclass(frozen=True)
class AlreadyCompleted:
    """The same request was recorded before: answer with the first result."""

    transaction_id: str


@dataclass(frozen=True)
class InFlight:
    """The same request is being recorded by another invocation right now: retry shortly."""


@dataclass(frozen=True)
class KeyReused:
    """The idempotency key was used before for a different request."""


ClaimOutcome = Claimed | AlreadyCompleted | InFlight | KeyReused


def transaction_id_for(idempotency_key: str) -> str:
    return str(uuid.uuid5(_TRANSACTION_IDS, idempotency_key))


def request_hash(payment: PaymentRequest) -> str:
    canonical = json.dumps(_payment_document(payment), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class TransactionStore:
    """The customers and transactions tables, through a low-level DynamoDB client."""

    def __init__(self, dynamodb: Any, transactions_table: str, customers_table: str) -> None:
        self._dynamodb = dynamodb
        self._transactions_table = transactions_table
        self._customers_table = customers_table

    def customer_exists(self, customer_id: str) -> bool:
        response = self._dynamodb.get_item(
            TableName=self._customers_table,
            Key={"customerId": {"S": customer_id}},
            ProjectionExpression="customerId",
        )
        return "Item" in response

    def claim(
        self, payment: PaymentRequest, environment: str, now: datetime, lease_seconds: int
    ) -> ClaimOutcome:
        transaction = Transaction(
            transaction_id=transaction_id_for(payment.idempotency_key),
            payment=payment,
            request_hash=request_hash(payment),
            created_at=now.astimezone(UTC).isoformat(timespec="milliseconds"),
            environment=environment,
            attempt_id=str(uuid.uuid4()),
        )
        lease_expires_at = int(now.timestamp()) + lease_seconds
        try:
            self._dynamodb.put_item(
                TableName=self._transactions_table,
                Item=_item(transaction, lease_expires_at),
                ConditionExpression="attribute_not_exists(transactionId)",
            )
        except ClientError as error:
            if _error_code(error) not in _CONDITION_FAILED:
                raise
            return self._claim_existing(transaction, now, lease_expires_at)
        return Claimed(transaction)

    def complete(self, transaction: Transaction, receipt_key: str) -> bool:
        """Mark the transaction COMPLETED; False if another invocation took the claim over."""
        return self._write_if_holder(
            transaction,
            self._dynamodb.update_item,
            {":completed": {"S": COMPLETED}, ":receipt": {"S": receipt_key}},
            UpdateExpression="SET #status = :completed, receiptKey = :receipt "
            "REMOVE leaseExpiresAt, attemptId",
        )

    def release(self, transaction: Transaction) -> None:
        """Give the key back after a failure, so a retry starts afresh."""
        self._write_if_holder(transaction, self._dynamodb.delete_item, {})

    def _claim_existing(
        self, transaction: Transaction, now: datetime, lease_expires_at: int
    ) -> ClaimOutcome:
        item = self._dynamodb.get_item(
            TableName=self._transactions_table,
            Key={"transactionId": {"S": transaction.transaction_id}},
            ConsistentRead=True,
        ).get("Item")
        if item is None:
            return InFlight()
        if item["requestHash"]["S"] != transaction.request_hash:
            return KeyReused()
        if item["status"]["S"] == COMPLETED:
            return AlreadyCompleted(transaction.transaction_id)
        if int(item["leaseExpiresAt"]["N"]) > now.timestamp():
            return InFlight()
        return self._take_over(transaction, item, lease_expires_at)

    def _take_over(
        self, transaction: Transaction, item: dict[str, Any], lease_expires_at: int
    ) -> ClaimOutcome:
        try:
            self._dynamodb.update_item(
                TableName=self._transactions_table,
                Key={"transactionId": {"S": transaction.transaction_id}},
                UpdateExpression="SET attemptId = :attempt, leaseExpiresAt = :lease",
                ConditionExpression="#status = :pending AND attemptId = :previous",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":attempt": {"S": transaction.attempt_id},
                    ":lease": {"N": str(lease_expires_at)},
                    ":pending": {"S": PENDING},
                    ":previous": item["attemptId"],
                },
            )
        except ClientError as error:
            if _error_code(error) not in _CONDITION_FAILED:
                raise
            return InFlight()
        return Claimed(
            dataclasses.replace(
                transaction,
                created_at=item["createdAt"]["S"],
                environment=item["environment"]["S"],
            )
        )

    def _write_if_holder(
        self,
        transaction: Transaction,
        write: Callable[..., object],
        values: dict[str, dict[str, str]],
        **arguments: str,
    ) -> bool:
        try:
            write(
                TableName=self._transactions_table,
                Key={"transactionId": {"S": transaction.transaction_id}},
                ConditionExpression="#status = :pending AND attemptId = :attempt",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    **values,
                    ":pending": {"S": PENDING},
                    ":attempt": {"S": transaction.attempt_id},
                },
                **arguments,
            )
        except ClientError as error:
            if _error_code(error) not in _CONDITION_FAILED:
                raise
            return False
        return True


def _payment_document(payment: PaymentRequest) -> dict[str, str | None]:
    return {
        "idempotencyKey": payment.idempotency_key,
        "customerId": payment.customer_id,
        "amount": str(payment.amount),
        "currency": payment.currency,
        "paymentMethodToken": payment.payment_method_token,
        "description": payment.description,
    }


def _item(transaction: Transaction, lease_expires_at: int) -> dict[str, dict[str, str]]:
    payment = transaction.payment
    item = {
        "transactionId": {"S": transaction.transaction_id},
        "idempotencyKey": {"S": payment.idempotency_key},
        "requestHash": {"S": transaction.request_hash},
        "status": {"S": PENDING},
        "attemptId": {"S": transaction.attempt_id},
        "leaseExpiresAt": {"N": str(lease_expires_at)},
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
