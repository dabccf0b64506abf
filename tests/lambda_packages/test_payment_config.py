"""Configuration from the environment: a missing or malformed variable fails the cold start."""

from decimal import Decimal

import pytest
from payments_core.config import (
    DEFAULT_MAX_BODY_BYTES,
    ConfigurationError,
    load_processor_settings,
    load_validator_settings,
)

from tests.infra.stack_harness import run_stack
from tests.lambda_packages.payments_harness import function_environment, load_function

ENVIRONMENT = function_environment("arn:aws:kms:eu-west-1:123456789012:key/example")
VALIDATOR_NEEDS = ("ENVIRONMENT", "MAX_AMOUNT", "ALLOWED_CURRENCIES")


@pytest.mark.parametrize("name", sorted(ENVIRONMENT))
def test_processor_cold_start_fails_naming_a_missing_variable(name: str) -> None:
    environment = {key: value for key, value in ENVIRONMENT.items() if key != name}

    with pytest.raises(ConfigurationError, match=f"environment variable {name} is not set"):
        load_function("payment_processor", environment)


@pytest.mark.parametrize("name", VALIDATOR_NEEDS)
def test_validator_cold_start_fails_naming_a_missing_variable(name: str) -> None:
    environment = {key: value for key, value in ENVIRONMENT.items() if key != name}

    with pytest.raises(ConfigurationError, match=f"environment variable {name} is not set"):
        load_function("payment_validator", environment)


def test_validator_needs_only_its_three_variables() -> None:
    settings = load_validator_settings({name: ENVIRONMENT[name] for name in VALIDATOR_NEEDS})

    assert settings.environment == "production"
    assert settings.limits.allowed_currencies == {"EUR", "GBP", "USD", "JPY", "KWD"}


def test_blank_variable_counts_as_missing() -> None:
    with pytest.raises(ConfigurationError, match="RECEIPTS_BUCKET is not set"):
        load_processor_settings({**ENVIRONMENT, "RECEIPTS_BUCKET": "  "})


@pytest.mark.parametrize("value", ["ten", "0", "-1", "NaN", "Infinity"])
def test_max_amount_must_be_a_positive_decimal(value: str) -> None:
    with pytest.raises(ConfigurationError, match=f"MAX_AMOUNT must be .* got '{value}'"):
        load_processor_settings({**ENVIRONMENT, "MAX_AMOUNT": value})


def test_allowed_currencies_must_be_iso_4217_codes() -> None:
    with pytest.raises(ConfigurationError, match="not a currency code: 'EURO', 'usd'"):
        load_processor_settings({**ENVIRONMENT, "ALLOWED_CURRENCIES": "EURO, GBP,usd"})


def test_allowed_currencies_tolerate_spaces_after_commas() -> None:
    settings = load_processor_settings({**ENVIRONMENT, "ALLOWED_CURRENCIES": "EUR, GBP"})

    assert settings.limits.allowed_currencies == {"EUR", "GBP"}


def test_max_body_bytes_is_optional_and_checked() -> None:
    for load in (load_processor_settings, load_validator_settings):
        assert load(ENVIRONMENT).max_body_bytes == DEFAULT_MAX_BODY_BYTES
        assert load({**ENVIRONMENT, "MAX_BODY_BYTES": "1024"}).max_body_bytes == 1024
        with pytest.raises(ConfigurationError, match="MAX_BODY_BYTES must be a whole number"):
            load({**ENVIRONMENT, "MAX_BODY_BYTES": "1k"})


def test_environment_the_stack_sets_passes_each_functions_cold_start() -> None:
    """Whatever the stack config accepts, the functions accept: no deploy fails at cold start."""
    run = run_stack(allowedCurrencies="JPY,KWD,CLF", maxAmount="250000")
    for package in ("payment_processor", "payment_validator"):
        function = run.one("aws:lambda/function:Function", f"function-{package.replace('_', '-')}")
        settings = load_function(package, function.inputs["environment"]["variables"]).settings

        assert settings.limits.allowed_currencies == {"JPY", "KWD", "CLF"}
        assert settings.limits.max_amount == Decimal("250000")
