"""The validator function: the processor's verdict, returned to a direct invocation."""

from types import ModuleType

from tests.lambda_packages.payments_harness import CapturedLogs, invoke, payment_body


def test_valid_request_gets_a_clean_verdict(validator: ModuleType) -> None:
    assert invoke(validator, payment_body()) == {"valid": True, "problems": []}


def test_invalid_request_gets_every_fields_problem(validator: ModuleType) -> None:
    verdict = invoke(validator, payment_body(amount="20000", currency="CHF", customerId=None))

    assert verdict == {
        "valid": False,
        "problems": [
            {"field": "customerId", "message": "is required"},
            {"field": "amount", "message": "must be at most 10000.00"},
            {"field": "currency", "message": "must be one of EUR, GBP, JPY, KWD, USD"},
        ],
    }


def test_non_object_event_is_invalid(validator: ModuleType) -> None:
    assert invoke(validator, ["not", "a", "request"]) == {
        "valid": False,
        "problems": [{"field": "$", "message": "must be a JSON object"}],
    }


def test_verdict_is_logged_without_payment_data(
    validator: ModuleType, function_logs: CapturedLogs
) -> None:
    invoke(validator, payment_body(amount="0"))

    [record] = [r for r in function_logs.records() if r["message"] == "payment request validated"]
    assert record["valid"] is False
    assert record["fields"] == ["amount"]
    assert record["function_request_id"] == "lambda-request-0001"
    assert record["environment"] == "production"
    for secret in ("tok_9fK2xLq81Zt", "cust_0001", "Invoice 2026-118"):
        assert secret not in function_logs.text
