"""The receipt of a recorded payment: a JSON object in the receipts bucket, under SSE-KMS."""

import json
from decimal import Decimal
from typing import Any

from payments_core.currencies import MINOR_UNITS
from payments_core.transactions import Transaction


def receipt_key(transaction_id: str) -> str:
    return f"receipts/{transaction_id}.json"


def receipt_document(transaction: Transaction) -> dict[str, str]:
    """What the customer is shown: no payment method, the amount in the currency's minor units."""
    payment = transaction.payment
    exponent = Decimal(1).scaleb(-MINOR_UNITS[payment.currency])
    document = {
        "transactionId": transaction.transaction_id,
        "customerId": payment.customer_id,
        "amount": str(payment.amount.quantize(exponent)),
        "currency": payment.currency,
        "createdAt": transaction.created_at,
    }
    if payment.description is not None:
        document["description"] = payment.description
    return document


class ReceiptWriter:
    def __init__(self, s3: Any, bucket: str, kms_key_id: str) -> None:
        self._s3 = s3
        self._bucket = bucket
        self._kms_key_id = kms_key_id

    def write(self, transaction: Transaction) -> str:
        """Store the receipt encrypted with the configured key; return its object key.

        The key and content depend only on the transaction, so a retry rewrites the same receipt.
        """
        key = receipt_key(transaction.transaction_id)
        self._s3.put_object(
            Bucket=self._bucket,
            Key=key,
            Body=json.dumps(receipt_document(transaction), sort_keys=True).encode("utf-8"),
            ContentType="application/json",
            ServerSideEncryption="aws:kms",
            SSEKMSKeyId=self._kms_key_id,
            BucketKeyEnabled=True,
        )
        return key
