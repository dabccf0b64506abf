"""Stack config: documented defaults, one clear error per bad value, never another exception."""

import datetime
from pathlib import Path

import pytest
import yaml
from hypothesis import example, given
from hypothesis import strategies as st

from infra.config import PROJECT_ROOT, Settings, function_currencies, parse_settings
from infra.errors import ConfigError
from tests.infra.stack_harness import BASE_CONFIG

STACK_FILE = "Pulumi.prod.yaml"


def settings(**overrides: str) -> Settings:
    return parse_settings(
        {**BASE_CONFIG, **{f"payments:{key}": value for key, value in overrides.items()}},
        STACK_FILE,
    )


def test_only_region_and_migration_date_are_needed_the_rest_has_documented_defaults() -> None:
    defaults = settings()
    assert defaults.region == "eu-west-1"
    assert defaults.migration_date == datetime.date(2026, 12, 1)
    assert (defaults.environment, defaults.environment_suffix, defaults.migrated_from) == (
        "production",
        "prod",
        "dev",
    )
    assert defaults.bucket_prefix is None
    assert (defaults.throttling_rate_limit, defaults.throttling_burst_limit) == (1000, 2000)
    assert defaults.reserved_concurrency == 10
    assert (defaults.log_retention_days, defaults.backup_retention_days) == (30, 30)
    assert defaults.alarm_email is None
    assert defaults.protect is True
    assert defaults.api_authorization == "AWS_IAM"
    assert defaults.inventory_file == PROJECT_ROOT / "config" / "dev-config.json"
    assert (defaults.max_amount, defaults.allowed_currencies) == ("10000.00", ("EUR", "GBP", "USD"))
    assert defaults.powertools_layer_version > 0
    assert dict(defaults.extra_tags) == {}


def test_prod_stack_file_is_valid_and_sets_only_known_keys() -> None:
    document = yaml.safe_load((PROJECT_ROOT / "Pulumi.prod.yaml").read_text())
    prod = parse_settings({k: str(v) for k, v in document["config"].items()}, STACK_FILE)
    assert prod.region == "eu-west-1"
    assert prod.protect is True
    assert prod.log_retention_days >= 365


@pytest.mark.parametrize(
    ("key", "value", "rule"),
    [
        ("migrationDate", "2026-13-01", "real calendar date"),
        ("migrationDate", "01/12/2026", "ISO date"),
        ("throttlingRateLimit", "fast", "whole number from 1 to 10000"),
        ("throttlingRateLimit", "0", "whole number from 1 to 10000"),
        ("throttlingBurstLimit", "500", "at least throttlingRateLimit"),
        ("reservedConcurrency", "-1", "whole number"),
        ("logRetentionDays", "31", "one of 1, 3, 5"),
        ("backupRetentionDays", "0", "whole number from 1"),
        ("alarmEmail", "oncall", "email address"),
        ("protect", "yes", "true or false"),
        ("apiAuthorization", "COGNITO_USER_POOLS", "one of AWS_IAM, NONE"),
        ("environmentSuffix", "Prod", "lowercase"),
        ("bucketPrefix", "xn--abc", "not starting xn--"),
        ("maxAmount", "0.00", "greater than 0"),
        ("maxAmount", "10.001", "at most 2 decimals"),
        ("allowedCurrencies", "EUR,eur", "ISO 4217"),
        ("allowedCurrencies", "EUR,EUR", "must not repeat"),
        ("allowedCurrencies", "EUR,XYZ,ABC", "not a current ISO 4217 code: XYZ, ABC"),
        ("reservedConcurrency", "9" * 5000, "whole number from 1 to 1000"),
        ("tags", "[" * 100_000, "object of string tag values"),
        ("tags", '{"Environment": "dev"}', "set by the stack"),
        ("tags", "[1, 2]", "object of string tag values"),
        ("inventoryFile", " ", "file path"),
    ],
)
def test_bad_value_names_file_key_and_rule(key: str, value: str, rule: str) -> None:
    with pytest.raises(ConfigError) as raised:
        settings(**{key: value})
    assert str(raised.value).startswith(f"{STACK_FILE}: config.payments:{key}: ")
    assert rule in raised.value.rule


def test_long_bad_value_is_quoted_short() -> None:
    with pytest.raises(ConfigError) as raised:
        settings(tags="[" * 100_000)
    assert raised.value.rule.endswith("... (100000 characters)")
    assert len(str(raised.value)) < 200


def test_every_currency_the_functions_know_is_accepted() -> None:
    every = ",".join(sorted(function_currencies()))
    assert settings(allowedCurrencies=every).allowed_currencies == tuple(sorted(every.split(",")))
    assert {"EUR", "JPY", "KWD", "CLF"} <= function_currencies()


@pytest.mark.parametrize("key", ["aws:region", "payments:migrationDate"])
def test_required_key_missing_is_an_error(key: str) -> None:
    with pytest.raises(ConfigError, match=f"config.{key}: required key is missing"):
        parse_settings({k: v for k, v in BASE_CONFIG.items() if k != key}, STACK_FILE)


def test_misspelt_key_is_an_error_not_a_silent_default() -> None:
    with pytest.raises(ConfigError, match=r"config.payments:throttlingRatelimit: unknown key"):
        settings(throttlingRatelimit="10")


def test_relative_inventory_file_is_relative_to_the_project() -> None:
    assert settings(inventoryFile="inventories/big.json").inventory_file == (
        PROJECT_ROOT / "inventories" / "big.json"
    )
    assert settings(inventoryFile="/tmp/x.json").inventory_file == Path("/tmp/x.json")


KEYS = [
    "environment",
    "environmentSuffix",
    "migrationDate",
    "migratedFrom",
    "bucketPrefix",
    "throttlingRateLimit",
    "throttlingBurstLimit",
    "wafRateLimit",
    "reservedConcurrency",
    "logRetentionDays",
    "backupRetentionDays",
    "alarmEmail",
    "protect",
    "apiAuthorization",
    "maxAmount",
    "allowedCurrencies",
    "powertoolsLayerVersion",
    "tags",
]


@given(key=st.sampled_from(KEYS), value=st.text(max_size=40))
@example(key="throttlingRateLimit", value="0\x1f")  # whitespace to str.strip(), not to int()
def test_any_text_for_any_key_parses_or_names_that_key(key: str, value: str) -> None:
    try:
        settings(**{key: value})
    except ConfigError as error:
        raised = error
    else:
        return
    assert raised.source == STACK_FILE
    assert raised.path in (f"config.payments:{key}", "config.payments:throttlingBurstLimit")
