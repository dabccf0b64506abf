"""The request contract shared by both functions."""

from decimal import Decimal

import pytest
from payments_core.config import PaymentLimits
from payments_core.validation import (
    CARD_NUMBER_PROBLEM,
    SPLIT_CARD_NUMBER_PROBLEM,
    UNKNOWN_FIELDS_PROBLEM,
    Problem,
    validate_payment,
)

from tests.lambda_packages.payments_harness import payment_body

LIMITS = PaymentLimits(
    max_amount=Decimal("10000.00"), allowed_currencies=frozenset({"EUR", "JPY", "KWD"})
)


def problems_of(document: object) -> dict[str, str]:
    verdict = validate_payment(document, LIMITS)
    assert verdict.payment is None
    return {problem.field: problem.message for problem in verdict.problems}


def test_valid_request_becomes_a_typed_payment() -> None:
    verdict = validate_payment(payment_body(), LIMITS)

    assert verdict.problems == ()
    assert verdict.payment is not None
    assert verdict.payment.amount == Decimal("125.50")
    assert verdict.payment.description == "Invoice 2026-118"


def test_description_is_optional_and_may_be_null() -> None:
    for document in (payment_body(description=None), {**payment_body(), "description": None}):
        verdict = validate_payment(document, LIMITS)
        assert verdict.payment is not None
        assert verdict.payment.description is None


def test_every_invalid_field_is_reported_at_once() -> None:
    document = {
        "idempotencyKey": "short",
        "customerId": "cust 1",
        "amount": 12.5,
        "currency": "usd",
        "paymentMethodToken": "12345678",
        "description": "x" * 141,
        "extra": True,
    }

    assert problems_of(document) == {
        "idempotencyKey": "must be 8 to 64 characters of A-Z, a-z, 0-9, '_' or '-'",
        "customerId": "must be 1 to 64 characters of A-Z, a-z, 0-9, '_' or '-'",
        "amount": "must be a string",
        "currency": "must be a 3-letter ISO 4217 currency code",
        "paymentMethodToken": "must be a payment method token: 8 to 128 characters of A-Z, "
        "a-z, 0-9, '_' or '-', at least one of them a letter",
        "description": "must be at most 140 characters",
        "$": UNKNOWN_FIELDS_PROBLEM,
    }


def test_missing_fields_are_required() -> None:
    assert problems_of({}) == {
        "idempotencyKey": "is required",
        "customerId": "is required",
        "amount": "is required",
        "currency": "is required",
        "paymentMethodToken": "is required",
    }


@pytest.mark.parametrize("document", [[], "payment", 7, None])
def test_body_must_be_a_json_object(document: object) -> None:
    assert problems_of(document) == {"$": "must be a JSON object"}


@pytest.mark.parametrize(
    ("amount", "currency", "message"),
    [
        ("0", "EUR", "must be greater than 0"),
        ("0.00", "EUR", "must be greater than 0"),
        ("-5", "EUR", 'must be a decimal string such as "12.50"'),
        ("1e3", "EUR", 'must be a decimal string such as "12.50"'),
        ("012.50", "EUR", 'must be a decimal string such as "12.50"'),
        ("10000.01", "EUR", "must be at most 10000.00"),
        ("12.505", "EUR", "must have at most 2 decimal places in EUR"),
        ("1200.5", "JPY", "must have at most 0 decimal places in JPY"),
        ("1.2345", "KWD", "must have at most 3 decimal places in KWD"),
    ],
)
def test_amount_rules(amount: str, currency: str, message: str) -> None:
    assert problems_of(payment_body(amount=amount, currency=currency)) == {"amount": message}


@pytest.mark.parametrize(
    ("amount", "currency"), [("10000.00", "EUR"), ("1200", "JPY"), ("1.234", "KWD")]
)
def test_amount_within_limit_and_minor_units_is_valid(amount: str, currency: str) -> None:
    assert validate_payment(payment_body(amount=amount, currency=currency), LIMITS).payment


def test_currency_must_be_allowed() -> None:
    assert problems_of(payment_body(currency="GBP")) == {"currency": "must be one of EUR, JPY, KWD"}


def test_problems_never_echo_the_value() -> None:
    verdict = validate_payment(
        payment_body(customerId="bad id!", extra_field="secret-value"), LIMITS
    )

    rendered = str([problem.as_dict() for problem in verdict.problems])
    assert "bad id!" not in rendered
    assert "secret-value" not in rendered


def test_unknown_field_names_are_never_named() -> None:
    verdict = validate_payment({**payment_body(), "note": "x", "shipping_address": "y"}, LIMITS)

    assert verdict.problems == (Problem("$", UNKNOWN_FIELDS_PROBLEM),)


def test_card_number_in_a_field_name_is_reported_without_the_name() -> None:
    document = {**payment_body(), "4111 1111 1111 1111": "x"}

    verdict = validate_payment(document, LIMITS)

    assert verdict.problems == (Problem("$", CARD_NUMBER_PROBLEM),)


def test_card_number_nested_in_an_unknown_field_is_a_card_number_problem() -> None:
    document = {**payment_body(), "meta": {"card": [4111111111111111]}}

    assert problems_of(document) == {"$": CARD_NUMBER_PROBLEM}


@pytest.mark.parametrize(
    "fields",
    [
        {"idempotencyKey": "abcd-4111-1111", "customerId": "1111-1111"},
        # Not adjacent in the body, and in the other order: still stored together.
        {"description": "Order 4111 1111", "idempotencyKey": "1111-1111-abcd"},
    ],
)
def test_card_number_split_across_fields_is_refused(fields: dict[str, str]) -> None:
    assert problems_of(payment_body(**fields)) == {"$": SPLIT_CARD_NUMBER_PROBLEM}
