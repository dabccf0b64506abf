"""Stack config (`payments:*`, `aws:region`): read, validated and typed before anything registers.

Every key has a documented default except `payments:migrationDate` and `aws:region`. A bad value
raises `ConfigError` naming the stack file, the key and the rule; unknown `payments:` keys are
errors too, so a typo never silently falls back to a default.
"""

import datetime
import functools
import json
import re
import runpy
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from types import MappingProxyType
from typing import TypeVar, cast

import pulumi
from pulumi.runtime import config as runtime_config

from infra.errors import ConfigError
from infra.naming import Names
from lambda_packages.packaging import SHARED_PACKAGE, SHARED_SOURCE_ROOT

PROJECT_ROOT = Path(__file__).resolve().parent.parent
NAMESPACE = "payments"
REQUIRED_TAGS = ("Environment", "MigratedFrom", "MigrationDate")
# CloudWatch Logs accepts only these retention periods.
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827)
API_AUTHORIZATIONS = ("AWS_IAM", "NONE")

T = TypeVar("T")


class InvalidValue(Exception):
    """A config value broke its rule; the message is the rule."""


@dataclass(frozen=True)
class Settings:
    """Validated stack config; see the README's Configuration section for each key."""

    region: str
    environment: str
    environment_suffix: str
    migration_date: datetime.date
    migrated_from: str
    bucket_prefix: str | None
    throttling_rate_limit: int
    throttling_burst_limit: int
    waf_rate_limit: int
    reserved_concurrency: int
    log_retention_days: int
    backup_retention_days: int
    alarm_email: str | None
    protect: bool
    api_authorization: str
    inventory_file: Path
    max_amount: str
    allowed_currencies: tuple[str, ...]
    powertools_layer_version: int
    extra_tags: Mapping[str, str]

    @property
    def names(self) -> Names:
        return Names(self.environment_suffix)


def _pattern(regex: str, rule: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if not re.fullmatch(regex, text):
            raise InvalidValue(rule)
        return text

    return parse


def _integer(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        # int() strips fewer characters than str.strip() (not "\x1f"): convert what was checked.
        digits = text.strip()
        # Bounded length: Python refuses to convert integers of more than 4300 digits.
        if not re.fullmatch(r"[0-9]{1,18}", digits) or not low <= int(digits) <= high:
            raise InvalidValue(f"must be a whole number from {low} to {high}")
        return int(digits)

    return parse


def _one_of(*allowed: T) -> Callable[[str], T]:
    def parse(text: str) -> T:
        for value in allowed:
            if text.strip() == str(value):
                return value
        raise InvalidValue(f"must be one of {', '.join(map(str, allowed))}")

    return parse


def _boolean(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered not in ("true", "false"):
        raise InvalidValue("must be true or false")
    return lowered == "true"


def _iso_date(text: str) -> datetime.date:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise InvalidValue("must be an ISO date, YYYY-MM-DD")
    try:
        return datetime.date.fromisoformat(text)
    except ValueError as bad:
        raise InvalidValue(f"must be a real calendar date ({bad})") from None


def _amount(text: str) -> str:
    if not re.fullmatch(r"[0-9]{1,12}(\.[0-9]{1,2})?", text):
        raise InvalidValue("must be a decimal string with at most 2 decimals, e.g. 10000.00")
    try:
        positive = Decimal(text) > 0
    except InvalidOperation:
        positive = False
    if not positive:
        raise InvalidValue("must be greater than 0")
    return text


@functools.cache
def function_currencies() -> frozenset[str]:
    """The ISO 4217 codes the payment functions know (their minor units): a function whose
    `ALLOWED_CURRENCIES` names any other code fails its cold start. Read by running the functions'
    own table (a module that imports nothing), never a copy of it."""
    table = runpy.run_path(str(SHARED_SOURCE_ROOT / SHARED_PACKAGE / "currencies.py"))
    return frozenset(cast(Mapping[str, int], table["MINOR_UNITS"]))


def _currencies(text: str) -> tuple[str, ...]:
    codes = tuple(code.strip() for code in text.split(","))
    if not all(re.fullmatch(r"[A-Z]{3}", code) for code in codes):
        raise InvalidValue("must be comma-separated ISO 4217 codes, e.g. EUR,GBP,USD")
    if len(set(codes)) != len(codes):
        raise InvalidValue("must not repeat a currency")
    unknown = [code for code in codes if code not in function_currencies()]
    if unknown:
        raise InvalidValue(
            f"must name currencies the payment functions know; not a current ISO 4217 code: "
            f"{', '.join(unknown)}"
        )
    return codes


def _tags(text: str) -> Mapping[str, str]:
    try:
        value = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        value = None
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise InvalidValue("must be an object of string tag values")
    for key, tag in value.items():
        if key in REQUIRED_TAGS or key.lower().startswith("aws:"):
            raise InvalidValue(f"tag {key!r} is set by the stack and cannot be overridden")
        if not 1 <= len(key) <= 128 or len(tag) > 256:
            raise InvalidValue(f"tag {key!r}: keys are 1-128 characters, values at most 256")
    return MappingProxyType(dict(value))


def _path(text: str) -> Path:
    if not text.strip():
        raise InvalidValue("must be a file path")
    path = Path(text)
    return path if path.is_absolute() else PROJECT_ROOT / path


_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,14}[a-z0-9])?"
_TAG_TEXT = r"[A-Za-z0-9 _.:/=+@-]{1,64}"
# key -> (parser, default); a None default means the key is optional and unset by default.
_KEYS: dict[str, tuple[Callable[[str], object], object]] = {
    "environment": (
        _pattern(_LABEL, "must be 1-16 lowercase letters, digits or hyphens"),
        "production",
    ),
    "environmentSuffix": (
        _pattern(_LABEL, "must be 1-16 lowercase letters, digits or hyphens (it ends every name)"),
        "prod",
    ),
    "migrationDate": (_iso_date, None),
    "migratedFrom": (
        _pattern(_TAG_TEXT, "must be 1-64 letters, digits, spaces or _.:/=+@-"),
        "dev",
    ),
    "bucketPrefix": (
        _pattern(
            r"(?!xn--|sthree-)[a-z0-9](?:[a-z0-9-]{0,18}[a-z0-9])?",
            "must be 1-20 lowercase letters, digits or hyphens, not starting xn-- or sthree-",
        ),
        None,
    ),
    "throttlingRateLimit": (_integer(1, 10_000), 1000),
    "throttlingBurstLimit": (_integer(1, 5_000), 2000),
    "wafRateLimit": (_integer(10, 2_000_000_000), 2000),
    "reservedConcurrency": (_integer(1, 1000), 10),
    "logRetentionDays": (_one_of(*LOG_RETENTION_DAYS), 30),
    "backupRetentionDays": (_integer(1, 36_500), 30),
    "alarmEmail": (_pattern(r"[^@\s]+@[^@\s]+\.[^@\s]+", "must be an email address"), None),
    "protect": (_boolean, True),
    "apiAuthorization": (_one_of(*API_AUTHORIZATIONS), "AWS_IAM"),
    "inventoryFile": (_path, PROJECT_ROOT / "config" / "dev-config.json"),
    "maxAmount": (_amount, "10000.00"),
    "allowedCurrencies": (_currencies, ("EUR", "GBP", "USD")),
    "powertoolsLayerVersion": (_integer(1, 10_000), 23),
    "tags": (_tags, MappingProxyType({})),
}
_region = _pattern(
    r"[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]", "must be an AWS region, e.g. eu-west-1"
)
_REQUIRED = ("migrationDate", "aws:region")


def _shown(text: str, limit: int = 60) -> str:
    """A value as an error quotes it: cut short when long, so the message stays one line."""
    return repr(text) if len(text) <= limit else f"{text[:limit]!r}... ({len(text)} characters)"


def parse_settings(raw: Mapping[str, str], stack_file: str) -> Settings:
    """Validate raw config values (full keys, e.g. `payments:protect`) into `Settings`."""
    unknown = sorted(
        key for key in raw if key.startswith(f"{NAMESPACE}:") and key.split(":", 1)[1] not in _KEYS
    )
    if unknown:
        raise ConfigError(
            stack_file, f"config.{unknown[0]}", f"unknown key; known keys: {', '.join(_KEYS)}"
        )

    def value(key: str, _type: type[T]) -> T:
        full_key = key if ":" in key else f"{NAMESPACE}:{key}"
        parse, default = _KEYS.get(key, (_region, None))
        text = raw.get(full_key)
        if text is None:
            if key in _REQUIRED:
                raise ConfigError(stack_file, f"config.{full_key}", "required key is missing")
            return cast(T, default)
        try:
            return cast(T, parse(text))
        except InvalidValue as bad:
            raise ConfigError(
                stack_file, f"config.{full_key}", f"{bad}, got {_shown(text)}"
            ) from None

    settings = Settings(
        region=value("aws:region", str),
        environment=value("environment", str),
        environment_suffix=value("environmentSuffix", str),
        migration_date=value("migrationDate", datetime.date),
        migrated_from=value("migratedFrom", str),
        bucket_prefix=value("bucketPrefix", str),
        throttling_rate_limit=value("throttlingRateLimit", int),
        throttling_burst_limit=value("throttlingBurstLimit", int),
        waf_rate_limit=value("wafRateLimit", int),
        reserved_concurrency=value("reservedConcurrency", int),
        log_retention_days=value("logRetentionDays", int),
        backup_retention_days=value("backupRetentionDays", int),
        alarm_email=value("alarmEmail", str),
        protect=value("protect", bool),
        api_authorization=value("apiAuthorization", str),
        inventory_file=value("inventoryFile", Path),
        max_amount=value("maxAmount", str),
        allowed_currencies=value("allowedCurrencies", tuple),
        powertools_layer_version=value("powertoolsLayerVersion", int),
        extra_tags=value("tags", MappingProxyType),
    )
    if settings.throttling_burst_limit < settings.throttling_rate_limit:
        raise ConfigError(
            stack_file,
            f"config.{NAMESPACE}:throttlingBurstLimit",
            f"must be at least throttlingRateLimit ({settings.throttling_rate_limit}),"
            f" got {settings.throttling_burst_limit}",
        )
    return settings


def stack_config_values() -> dict[str, str]:
    """Every config value the engine gave this program (what `pulumi config` shows)."""
    values = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    return {
        key: value if isinstance(value, str) else json.dumps(value) for key, value in values.items()
    }


def load_settings() -> Settings:
    """Settings of the running stack, from the Pulumi engine's config."""
    return parse_settings(stack_config_values(), f"Pulumi.{pulumi.get_stack()}.yaml")
