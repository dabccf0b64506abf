"""Helpers for the payment functions' tests: the AWS world in moto, requests, cold starts.

`payments_core` is imported top-level, as the handlers import it inside their zips; each
function's `app.py` is loaded from its folder under a module name of its own.
"""

import importlib.util
import io
import json
import logging
import sys
import zipfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from lambda_packages.packaging import (
    PACKAGES_ROOT,
    SHARED_PACKAGE,
    SHARED_SOURCE_ROOT,
    BuiltPackage,
)

sys.path.insert(0, str(SHARED_SOURCE_ROOT))

REGION = "eu-west-1"
TRANSACTIONS_TABLE = "payments-transactions"
CUSTOMERS_TABLE = "payments-customers"
RECEIPTS_BUCKET = "payments-receipts"
KNOWN_CUSTOMER = "cust_0001"
ID_KEY_PARAMETER = "/payments/prod/identifier-key"
ID_KEY = "k7Qm2vX9pL4sR8tW1yZ6bN3cF5hJ0dGa"
CALLER = "arn:aws:iam::123456789012:role/checkout-service"
OTHER_CALLER = "arn:aws:iam::123456789012:role/partner-service"

_loaded = count()


@dataclass
class FakeContext:
    """What a handler reads from the Lambda context."""

    aws_request_id: str = "lambda-request-0001"
    function_name: str = "payment-function"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = f"arn:aws:lambda:{REGION}:123456789012:function:payment-function"
    remaining_millis: int = 30_000

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_millis


@dataclass
class Aws:
    dynamodb: Any
    s3: Any
    kms_key_arn: str
    environment: dict[str, str] = field(default_factory=dict)
    pristine: dict[str, object] = field(default_factory=dict)
    """The snapshot before any request: what a rejected request must leave behind."""

    def transactions(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = self.dynamodb.scan(
            TableName=TRANSACTIONS_TABLE, ConsistentRead=True
        )["Items"]
        return items

    def receipt_versions(self) -> list[tuple[str, str]]:
        """(key, version id) of every receipt object written: the bucket is versioned."""
        listing = self.s3.list_object_versions(Bucket=RECEIPTS_BUCKET)
        return sorted(
            (entry["Key"], entry["VersionId"])
            for entry in listing.get("Versions", []) + listing.get("DeleteMarkers", [])
        )

    def receipt_keys(self) -> list[str]:
        """The key of every receipt write: a key written twice appears twice."""
        return [key for key, _ in self.receipt_versions()]

    def snapshot(self) -> dict[str, object]:
        """Everything the processor could write: both tables' items and receipt object versions."""
        return {
            "transactions": self.transactions(),
            "customers": self.dynamodb.scan(TableName=CUSTOMERS_TABLE, ConsistentRead=True)[
                "Items"
            ],
            "receipts": self.receipt_versions(),
        }

    def written_texts(self) -> Iterator[str]:
        """Every table item as JSON, and every receipt version's key and content."""
        for table in (TRANSACTIONS_TABLE, CUSTOMERS_TABLE):
            for item in self.dynamodb.scan(TableName=table, ConsistentRead=True)["Items"]:
                yield json.dumps(item, ensure_ascii=False)
        for key, version in self.receipt_versions():
            yield key
            body = self.s3.get_object(Bucket=RECEIPTS_BUCKET, Key=key, VersionId=version)["Body"]
            yield body.read().decode("utf-8")

    def clear(self) -> None:
        for item in self.transactions():
            self.dynamodb.delete_item(
                TableName=TRANSACTIONS_TABLE, Key={"transactionId": item["transactionId"]}
            )
        for key, version in self.receipt_versions():
            self.s3.delete_object(Bucket=RECEIPTS_BUCKET, Key=key, VersionId=version)


def function_environment(kms_key_arn: str) -> dict[str, str]:
    return {
        "TRANSACTIONS_TABLE": TRANSACTIONS_TABLE,
        "CUSTOMERS_TABLE": CUSTOMERS_TABLE,
        "RECEIPTS_BUCKET": RECEIPTS_BUCKET,
        "RECEIPTS_KMS_KEY_ID": kms_key_arn,
        "ID_KEY_PARAMETER": ID_KEY_PARAMETER,
        "ENVIRONMENT": "production",
        "MAX_AMOUNT": "10000.00",
        "ALLOWED_CURRENCIES": "EUR,GBP,USD,JPY,KWD",
    }


def load_function(package: str, environment: Mapping[str, str]) -> ModuleType:
    """Import `lambda_packages/<package>/app.py` afresh (a cold start) with this environment."""
    return _cold_start(PACKAGES_ROOT / package / "app.py", package, environment)


def load_unzipped_function(task_root: Path, environment: Mapping[str, str]) -> ModuleType:
    """Cold-start the `app.py` of a deployment zip unpacked in `task_root`, importing the
    `payments_core` the zip holds (not this checkout's), as Lambda does."""
    shared = [name for name in sys.modules if name.split(".")[0] == SHARED_PACKAGE]
    checkout_modules = {name: sys.modules.pop(name) for name in shared}
    sys.path.insert(0, str(task_root))
    try:
        return _cold_start(task_root / "app.py", task_root.name, environment)
    finally:
        sys.path.remove(str(task_root))
        for name in [name for name in sys.modules if name.split(".")[0] == SHARED_PACKAGE]:
            del sys.modules[name]
        sys.modules.update(checkout_modules)


def unzip(built: BuiltPackage, folder: Path) -> Path:
    with zipfile.ZipFile(built.path) as archive:
        archive.extractall(folder)
    return folder


def _cold_start(app: Path, label: str, environment: Mapping[str, str]) -> ModuleType:
    with pytest.MonkeyPatch.context() as patch:
        for name in function_environment("unset"):
            patch.delenv(name, raising=False)
        for name, value in environment.items():
            patch.setenv(name, value)
        spec = importlib.util.spec_from_file_location(f"{label}_app_{next(_loaded)}", app)
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    return module


class CapturedLogs:
    """What the functions logged: Powertools' JSON lines, then anything that reached the root."""

    def __init__(self) -> None:
        self.stream = io.StringIO()

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def records(self) -> list[dict[str, Any]]:
        """The Powertools JSON lines (other loggers' lines are plain text)."""
        return [json.loads(line) for line in self.text.splitlines() if line.startswith("{")]


@contextmanager
def captured_logs() -> Iterator[CapturedLogs]:
    """Capture the functions' logger (service `payments`) at DEBUG and the root logger at INFO."""
    captured = CapturedLogs()
    service_logger = logging.getLogger("payments")
    root = logging.getLogger()
    service_handler = logging.StreamHandler(captured.stream)
    service_handler.setFormatter(service_logger.handlers[0].formatter)
    root_handler = logging.StreamHandler(captured.stream)
    root_level = root.level
    service_logger.addHandler(service_handler)
    root.addHandler(root_handler)
    root.setLevel(logging.INFO)
    try:
        yield captured
    finally:
        service_logger.removeHandler(service_handler)
        root.removeHandler(root_handler)
        root.setLevel(root_level)


def payment_body(**changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "idempotencyKey": "order-7f3a9c21",
        "customerId": KNOWN_CUSTOMER,
        "amount": "125.50",
        "currency": "EUR",
        "paymentMethodToken": "tok_9fK2xLq81Zt",
        "description": "Invoice 2026-118",
    }
    body.update(changes)
    return {name: value for name, value in body.items() if value is not None}


def api_event(
    body: object,
    *,
    content_type: str | None = "application/json",
    raw: str | None = None,
    request_id: str = "api-request-0001",
    caller: str | None = CALLER,
) -> dict[str, Any]:
    """An API Gateway REST proxy event for POST /payment signed by `caller` (an IAM principal, as
    AWS_IAM authorization passes it; None for none), absent headers null, as sent."""
    headers = {"Content-Type": content_type} if content_type is not None else None
    return {
        "resource": "/payment",
        "path": "/payment",
        "httpMethod": "POST",
        "headers": headers,
        "multiValueHeaders": {n: [v] for n, v in headers.items()} if headers else None,
        "requestContext": {
            "requestId": request_id,
            "stage": "prod",
            "identity": {"userArn": caller},
        },
        "body": raw if raw is not None else json.dumps(body),
        "isBase64Encoded": False,
    }


def invoke(function: ModuleType, event: object, **context: Any) -> dict[str, Any]:
    response: dict[str, Any] = function.handler(event, FakeContext(**context))
    return response


def response_body(response: Mapping[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(response["body"])
    return body
