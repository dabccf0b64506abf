"""The functions' configuration, read once at cold start from the environment the stack sets."""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from payments_core.currencies import MINOR_UNITS

DEFAULT_MAX_BODY_BYTES = 8192


class ConfigurationError(Exception):
    """An environment variable the function needs is missing or malformed."""


@dataclass(frozen=True)
class PaymentLimits:
    """What a payment request may ask for: the validation rules that come from configuration."""

    max_amount: Decimal
    allowed_currencies: frozenset[str]


@dataclass(frozen=True)
class ValidatorSettings:
    environment: str
    limits: PaymentLimits
    max_body_bytes: int


@dataclass(frozen=True)
class ProcessorSettings:
    environment: str
    limits: PaymentLimits
    transactions_table: str
    customers_table: str
    receipts_bucket: str
    receipts_kms_key_id: str
    id_key_parameter: str
    max_body_bytes: int


def load_validator_settings(env: Mapping[str, str]) -> ValidatorSettings:
    """Read `ENVIRONMENT`, `MAX_AMOUNT`, `ALLOWED_CURRENCIES` and the optional `MAX_BODY_BYTES`
    (default 8192): a larger request is invalid."""
    return ValidatorSettings(
        environment=_required(env, "ENVIRONMENT"),
        limits=_limits(env),
        max_body_bytes=_max_body_bytes(env),
    )


def load_processor_settings(env: Mapping[str, str]) -> ProcessorSettings:
    """Read everything the validator needs plus the tables, the receipts bucket and its key, and
    the SSM parameter holding the identifier key (`ID_KEY_PARAMETER`).

    Requests with a body larger than `MAX_BODY_BYTES` get 413.
    """
    return ProcessorSettings(
        environment=_required(env, "ENVIRONMENT"),
        limits=_limits(env),
        transactions_table=_required(env, "TRANSACTIONS_TABLE"),
        customers_table=_required(env, "CUSTOMERS_TABLE"),
        receipts_bucket=_required(env, "RECEIPTS_BUCKET"),
        receipts_kms_key_id=_required(env, "RECEIPTS_KMS_KEY_ID"),
        id_key_parameter=_required(env, "ID_KEY_PARAMETER"),
        max_body_bytes=_max_body_bytes(env),
    )


def _required(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise ConfigurationError(f"environment variable {name} is not set; the stack must set it")
    return value


def _limits(env: Mapping[str, str]) -> PaymentLimits:
    return PaymentLimits(
        max_amount=_max_amount(_required(env, "MAX_AMOUNT")),
        allowed_currencies=_currencies(_required(env, "ALLOWED_CURRENCIES")),
    )


def _max_amount(text: str) -> Decimal:
    try:
        amount = Decimal(text)
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite() or amount <= 0:
        raise ConfigurationError(
            f"environment variable MAX_AMOUNT must be a decimal number above 0, got {text!r}"
        )
    return amount


def _currencies(text: str) -> frozenset[str]:
    codes = [code.strip() for code in text.split(",")]
    unknown = [code for code in codes if code not in MINOR_UNITS]
    if unknown:
        raise ConfigurationError(
            "environment variable ALLOWED_CURRENCIES must be comma-separated ISO 4217 codes "
            f"(e.g. EUR,GBP,USD); not a currency code: {', '.join(map(repr, unknown))}"
        )
    return frozenset(codes)


def _max_body_bytes(env: Mapping[str, str]) -> int:
    text = env.get("MAX_BODY_BYTES", "").strip()
    if not text:
        return DEFAULT_MAX_BODY_BYTES
    if not text.isdigit() or int(text) == 0:
        raise ConfigurationError(
            f"environment variable MAX_BODY_BYTES must be a whole number of bytes above 0, "
            f"got {text!r}"
        )
    return int(text)
