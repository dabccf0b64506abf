"""The payment request contract: one function both the validator and the processor call.

Problems name only the contract's own fields (or `$`, the body as a whole), never a name the
request invented, and never carry a value.
"""

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal

from payments_core.card_numbers import (
    card_number_across,
    contains_card_number,
    split_card_number,
)
from payments_core.config import PaymentLimits
from payments_core.currencies import MINOR_UNITS
from payments_core.documents import texts

DESCRIPTION_MAX_CHARS = 140

_IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9_-]{8,64}")
_CUSTOMER_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_TOKEN = re.compile(r"(?=[^A-Za-z]*[A-Za-z])[A-Za-z0-9_-]{8,128}")
_AMOUNT = re.compile(r"(0|[1-9][0-9]{0,17})(\.[0-9]{1,18})?")
_CURRENCY = re.compile(r"[A-Z]{3}")

CARD_NUMBER_PROBLEM = "must not contain a card number; send a payment method token instead"
SPLIT_CARD_NUMBER_PROBLEM = "must not contain a card number split across fields"
UNKNOWN_FIELDS_PROBLEM = "has fields the contract does not define"
OPTIONAL_FIELDS = frozenset({"description"})
# The fields of free-form text (the amount and currency are a number and a code).
TEXT_FIELDS = ("idempotencyKey", "customerId", "paymentMethodToken", "description")


@dataclass(frozen=True)
class Problem:
    """What is wrong with one field. Never carries the field's value."""

    field: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


@dataclass(frozen=True)
class PaymentRequest:
    idempotency_key: str
    customer_id: str
    amount: Decimal
    currency: str
    payment_method_token: str
    description: str | None


@dataclass(frozen=True)
class Verdict:
    """The validated request, or every field's problem (then `payment` is None)."""

    payment: PaymentRequest | None
    problems: tuple[Problem, ...]


def validate_payment(document: object, limits: PaymentLimits) -> Verdict:
    """Check a request body (already read by `payments_core.documents`) against the contract and
    the configured limits."""
    if not isinstance(document, Mapping):
        problem = _card_number_problem("$", document) or Problem("$", "must be a JSON object")
        return Verdict(payment=None, problems=(problem,))
    checks = _field_checks(document, limits)
    problems = [*_field_problems(document, checks), *_unknown_field_problems(document, checks)]
    if not any(problem.message == CARD_NUMBER_PROBLEM for problem in problems) and (
        _split_card_number(document)
    ):
        problems.append(Problem("$", SPLIT_CARD_NUMBER_PROBLEM))
    if problems:
        return Verdict(payment=None, problems=tuple(problems))
    description = document.get("description")
    payment = PaymentRequest(
        idempotency_key=document["idempotencyKey"],
        customer_id=document["customerId"],
        amount=Decimal(document["amount"]),
        currency=document["currency"],
        payment_method_token=document["paymentMethodToken"],
        description=description if isinstance(description, str) else None,
    )
    return Verdict(payment=payment, problems=())


_Check = Callable[[str], str | None]


def _field_checks(document: Mapping[str, object], limits: PaymentLimits) -> dict[str, _Check]:
    """Each field of the contract, in the order problems are reported, with its check."""
    currency = document.get("currency")
    return {
        "idempotencyKey": lambda value: _pattern_problem(
            _IDEMPOTENCY_KEY, value, "must be 8 to 64 characters of A-Z, a-z, 0-9, '_' or '-'"
        ),
        "customerId": lambda value: _pattern_problem(
            _CUSTOMER_ID, value, "must be 1 to 64 characters of A-Z, a-z, 0-9, '_' or '-'"
        ),
        "amount": lambda value: _amount_problem(value, currency, limits),
        "currency": lambda value: _currency_problem(value, limits),
        "paymentMethodToken": lambda value: _pattern_problem(
            _TOKEN,
            value,
            "must be a payment method token: 8 to 128 characters of A-Z, a-z, 0-9, '_' or '-', "
            "at least one of them a letter",
        ),
        "description": _description_problem,
    }


def _field_problems(document: Mapping[str, object], checks: dict[str, _Check]) -> Iterator[Problem]:
    for field, check in checks.items():
        if document.get(field) is None:
            if field not in OPTIONAL_FIELDS:
                yield Problem(field, "is required")
            continue
        if problem := _field_problem(field, document[field], check):
            yield problem


def _field_problem(field: str, value: object, check: _Check) -> Problem | None:
    if problem := _card_number_problem(field, value):
        return problem
    if not isinstance(value, str):
        return Problem(field, "must be a string")
    message = check(value)
    return Problem(field, message) if message else None


def _unknown_field_problems(
    document: Mapping[str, object], checks: dict[str, _Check]
) -> Iterator[Problem]:
    unknown = {field: value for field, value in document.items() if field not in checks}
    if unknown:
        yield _card_number_problem("$", unknown) or Problem("$", UNKNOWN_FIELDS_PROBLEM)


def _split_card_number(document: Mapping[str, object]) -> bool:
    """A number across the body read in order, or across the ends of any two text fields stored
    together, in either order (every text on its own has been scanned by the field checks)."""
    values = [value for field in TEXT_FIELDS if isinstance(value := document.get(field), str)]
    return card_number_across(texts(document)) or split_card_number(values)


def _card_number_problem(field: str, value: object) -> Problem | None:
    if any(contains_card_number(text) for text in texts(value)):
        return Problem(field, CARD_NUMBER_PROBLEM)
    return None


def _pattern_problem(pattern: re.Pattern[str], value: str, message: str) -> str | None:
    return None if pattern.fullmatch(value) else message


def _amount_problem(value: str, currency: object, limits: PaymentLimits) -> str | None:
    if not _AMOUNT.fullmatch(value):
        return 'must be a decimal string such as "12.50"'
    amount = Decimal(value)
    if amount <= 0:
        return "must be greater than 0"
    if amount > limits.max_amount:
        return f"must be at most {limits.max_amount}"
    if isinstance(currency, str) and currency in limits.allowed_currencies:
        decimals = len(value.partition(".")[2])
        if decimals > MINOR_UNITS[currency]:
            return f"must have at most {MINOR_UNITS[currency]} decimal places in {currency}"
    return None


def _currency_problem(value: str, limits: PaymentLimits) -> str | None:
    if not _CURRENCY.fullmatch(value):
        return "must be a 3-letter ISO 4217 currency code"
    if value not in limits.allowed_currencies:
        return f"must be one of {', '.join(sorted(limits.allowed_currencies))}"
    return None


def _description_problem(value: str) -> str | None:
    if len(value) > DESCRIPTION_MAX_CHARS:
        return f"must be at most {DESCRIPTION_MAX_CHARS} characters"
    return None
