"""The dev inventory (`config/dev-config.json`): the buckets, tables and functions to migrate.

Loaded and validated into frozen dataclasses before any resource is registered: the shape by
`inventory.schema.json`, then the rules a schema cannot say (duplicates, AWS naming rules on the
physical names, key attributes, runtimes, code packages, the resources the stack wires by name).
Every problem raises one `ConfigError` naming the file, the JSON path and the rule.
"""

import ast
import functools
import json
import os
import re
import stat
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, NoReturn

import pulumi
from jsonschema import Draft202012Validator, ValidationError
from jsonschema.exceptions import best_match

from infra.config import PROJECT_ROOT, REQUIRED_TAGS, Settings
from infra.errors import ConfigError
from infra.naming import ACCOUNT_ID_LENGTH

LAMBDA_PACKAGES = PROJECT_ROOT / "lambda_packages"
SUPPORTED_RUNTIMES = ("python3.12", "python3.13")
# The resources the stack wires together, found by their inventory names.
CODE_BUCKET = "lambda-code"
RECEIPTS_BUCKET = "payment-receipts"
AUDIT_TRAIL_BUCKET = "audit-trail"
"""The bucket the stack's audit trail writes to: the stack's own, never an inventory entry."""
TRANSACTIONS_TABLE = "transactions"
CUSTOMERS_TABLE = "customers"
API_FUNCTION = "payment-processor"
# The code packages whose handlers use the payment data: the processor looks customers up, records
# transactions and writes receipts under the key. A function running any other package (the
# validator) may write its logs and traces and nothing else.
PAYMENT_DATA_PACKAGES = frozenset({"payment_processor"})
# KMS limits a key policy to 32 KB. The key's policy names the role of each function running
# payment-data code; its other statements stay under KEY_POLICY_FIXED (1,566 bytes in eu-west-1
# for the prod stack; the audit trail's name grows with the suffix, bounded at 64 characters).
KEY_POLICY_MAX = 32_768
KEY_POLICY_FIXED = 1_700
# Environment variables the stack sets on every function; an inventory may not override them.
STACK_ENVIRONMENT = (
    "TRANSACTIONS_TABLE",
    "CUSTOMERS_TABLE",
    "RECEIPTS_BUCKET",
    "RECEIPTS_KMS_KEY_ID",
    "ENVIRONMENT",
    "MAX_AMOUNT",
    "ALLOWED_CURRENCIES",
    "POWERTOOLS_SERVICE_NAME",
)

_SCHEMA = json.loads(Path(__file__).with_name("inventory.schema.json").read_text(encoding="utf-8"))
_VALIDATOR = Draft202012Validator(_SCHEMA)


def default_inventory() -> dict[str, Any]:
    """The seed's inventory (with Python functions), used when the file is missing."""
    return {
        "s3Buckets": [
            {"name": "payment-documents"},
            {"name": RECEIPTS_BUCKET},
            {"name": CODE_BUCKET},
        ],
        "dynamoTables": [
            {
                "name": TRANSACTIONS_TABLE,
                "hashKey": "transactionId",
                "attributes": [{"name": "transactionId", "type": "S"}],
            },
            {
                "name": CUSTOMERS_TABLE,
                "hashKey": "customerId",
                "attributes": [{"name": "customerId", "type": "S"}],
            },
        ],
        "lambdaFunctions": [
            {"name": API_FUNCTION, "handler": "app.handler", "runtime": "python3.12"},
            {"name": "payment-validator", "handler": "app.handler", "runtime": "python3.12"},
        ],
    }


@dataclass(frozen=True)
class BucketSpec:
    name: str
    tags: Mapping[str, str]


@dataclass(frozen=True)
class Attribute:
    name: str
    type: str


@dataclass(frozen=True)
class TableSpec:
    name: str
    hash_key: str
    range_key: str | None
    attributes: tuple[Attribute, ...]
    tags: Mapping[str, str]


@dataclass(frozen=True)
class FunctionSpec:
    name: str
    handler: str
    runtime: str
    package: str
    environment: Mapping[str, str]
    tags: Mapping[str, str]


@dataclass(frozen=True)
class Inventory:
    source: str
    buckets: tuple[BucketSpec, ...]
    tables: tuple[TableSpec, ...]
    functions: tuple[FunctionSpec, ...]

    @property
    def resource_counts(self) -> dict[str, int]:
        return {
            "s3Buckets": len(self.buckets),
            "dynamoTables": len(self.tables),
            "lambdaFunctions": len(self.functions),
        }


def json_path(parts: Iterable[str | int]) -> str:
    """`$.dynamoTables[1].hashKey` for `["dynamoTables", 1, "hashKey"]`."""
    path = "$"
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", part):
            path += f".{part}"
        else:
            path += f"[{json.dumps(part)}]"
    return path


def display_path(path: Path) -> str:
    """A file as the user would name it: relative to the project when inside it."""
    return str(path.relative_to(PROJECT_ROOT)) if path.is_relative_to(PROJECT_ROOT) else str(path)


def load_inventory(settings: Settings, warn: Callable[[str], None] = pulumi.log.warn) -> Inventory:
    """Read and validate the inventory; a missing file gives the seed's inventory and a warning."""
    path = settings.inventory_file
    source = display_path(path)
    try:
        text = _read_regular_file(path, source)
    except FileNotFoundError:
        warn(f"{source} not found: using the built-in default inventory (the seed's resources)")
        return parse_inventory(default_inventory(), "built-in default inventory", settings)
    except (OSError, UnicodeDecodeError) as bad:
        raise ConfigError(source, "$", f"cannot be read as UTF-8 text ({bad})") from None
    try:
        document = json.loads(
            text,
            object_pairs_hook=_object_without_duplicate_keys,
            parse_constant=_refuse_constant,
            parse_int=_bounded_int,
        )
    except json.JSONDecodeError as bad:
        raise ConfigError(
            source, "$", f"not valid JSON: {bad.msg} at line {bad.lineno}, column {bad.colno}"
        ) from None
    except _DuplicateKeyError as bad:
        raise ConfigError(source, "$", f"duplicate key {bad.key!r} in a JSON object") from None
    except RecursionError:
        raise ConfigError(source, "$", "JSON nested too deeply to read") from None
    except _RefusedNumberError as bad:
        raise ConfigError(source, "$", str(bad)) from None
    return parse_inventory(document, source, settings)


MAX_INVENTORY_BYTES = 16 * 1024 * 1024
MAX_INTEGER_DIGITS = 30


def _read_regular_file(path: Path, source: str) -> str:
    """The file's text, read only if it is a regular file of at most `MAX_INVENTORY_BYTES`: a
    pipe would block and a device never end."""
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        os.close(descriptor)
        raise ConfigError(source, "$", "not a regular file (a pipe, device or folder)")
    with os.fdopen(descriptor, "rb") as stream:
        data = stream.read(MAX_INVENTORY_BYTES + 1)
    if len(data) > MAX_INVENTORY_BYTES:
        raise ConfigError(source, "$", f"larger than the {MAX_INVENTORY_BYTES:,}-byte limit")
    return data.decode("utf-8")


class _RefusedNumberError(ValueError):
    pass


def _refuse_constant(name: str) -> NoReturn:
    raise _RefusedNumberError(f"{name} is not a JSON number (NaN and infinities are refused)")


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise _RefusedNumberError(
            f"an integer of {len(text.lstrip('-'))} digits (at most {MAX_INTEGER_DIGITS})"
        )
    return int(text)


class _DuplicateKeyError(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _object_without_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document: dict[str, Any] = {}
    for key, value in pairs:
        if key in document:
            raise _DuplicateKeyError(key)
        document[key] = value
    return document


def parse_inventory(document: object, source: str, settings: Settings) -> Inventory:
    """Validate a decoded inventory document; `source` names it in errors."""

    def fail(parts: Sequence[str | int], rule: str) -> NoReturn:
        raise ConfigError(source, json_path(parts), rule)

    error = best_match(_VALIDATOR.iter_errors(document))
    if error is not None:
        fail(*_describe(error))
    assert isinstance(document, Mapping)  # the schema says so

    for section in ("s3Buckets", "dynamoTables", "lambdaFunctions"):
        first_use: dict[str, int] = {}
        for index, item in enumerate(document[section]):
            if item["name"] in first_use:
                where = json_path([section, first_use[item["name"]], "name"])
                fail([section, index, "name"], f"duplicate name {item['name']!r}, first at {where}")
            first_use[item["name"]] = index

    buckets = tuple(
        _bucket(item, ["s3Buckets", i], settings, fail)
        for i, item in enumerate(document["s3Buckets"])
    )
    tables = tuple(
        _table(item, ["dynamoTables", i], settings, fail)
        for i, item in enumerate(document["dynamoTables"])
    )
    functions = tuple(
        _function(item, ["lambdaFunctions", i], settings, fail)
        for i, item in enumerate(document["lambdaFunctions"])
    )
    for index, spec in enumerate(buckets):
        if spec.name == AUDIT_TRAIL_BUCKET:
            fail(
                ["s3Buckets", index, "name"],
                f"{AUDIT_TRAIL_BUCKET!r} is the name of the stack's own audit-trail bucket",
            )
    for section, names, wired, why in (
        ("s3Buckets", buckets, CODE_BUCKET, "the functions' code is uploaded to it"),
        ("s3Buckets", buckets, RECEIPTS_BUCKET, "the payment processor writes receipts to it"),
        (
            "dynamoTables",
            tables,
            TRANSACTIONS_TABLE,
            "the payment processor records payments in it",
        ),
        ("dynamoTables", tables, CUSTOMERS_TABLE, "the payment processor looks customers up in it"),
        ("lambdaFunctions", functions, API_FUNCTION, "it serves POST /payment"),
    ):
        if wired not in {spec.name for spec in names}:
            fail([section], f"no entry named {wired!r}: the stack needs it ({why})")
    _check_function_roles(functions, settings, fail)
    return Inventory(source, buckets, tables, functions)


Fail = Callable[[Sequence[str | int], str], NoReturn]


def role_arn_length(settings: Settings, function: str) -> int:
    """Bytes the key policy spends naming one function's role (the ARN, its quotes, a comma)."""
    role = settings.names.function_role(function)
    return len(f'"arn:aws:iam::{"0" * ACCOUNT_ID_LENGTH}:role/{role}",')


def _check_function_roles(
    functions: Sequence[FunctionSpec], settings: Settings, fail: Fail
) -> None:
    """Each function gets its own role: the names must stay distinct to IAM, which ignores case,
    and the key policy naming the payment-data functions' roles must fit in KMS's limit."""
    first_use: dict[str, int] = {}
    for index, spec in enumerate(functions):
        role = settings.names.function_role(spec.name).lower()
        if role in first_use:
            where = json_path(["lambdaFunctions", first_use[role], "name"])
            fail(
                ["lambdaFunctions", index, "name"],
                f"its role's name differs only in case from the role of {where}"
                " (IAM role names ignore case)",
            )
        first_use[role] = index
    users = [spec.name for spec in functions if spec.package in PAYMENT_DATA_PACKAGES]
    size = KEY_POLICY_FIXED + sum(role_arn_length(settings, name) for name in users)
    if size > KEY_POLICY_MAX:
        fail(
            ["lambdaFunctions"],
            f"{len(users)} functions run {' or '.join(sorted(PAYMENT_DATA_PACKAGES))} code: the"
            f" key policy naming each one's role would take about {size:,} bytes, over KMS's"
            f" {KEY_POLICY_MAX:,}",
        )


def _describe(error: ValidationError) -> tuple[list[str | int], str]:
    path: list[str | int] = list(error.absolute_path)
    instance: Any = error.instance
    schema: Mapping[str, Any] = error.schema if isinstance(error.schema, Mapping) else {}
    expected: Any = error.validator_value
    if error.validator == "required":
        missing = next(key for key in expected if key not in instance)
        return [*path, missing], "required key is missing"
    if error.validator == "additionalProperties" and "properties" in schema:
        allowed = list(schema["properties"])
        unknown = sorted(key for key in instance if key not in allowed)[0]
        return [*path, unknown], f"unknown key; allowed keys: {', '.join(allowed)}"
    if error.validator == "type":
        return path, f"must be of JSON type {expected}, got {_json_type(instance)}"
    return path, str(schema.get("description") or error.message)


def _json_type(value: object) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(value), "number")


def _tags(item: Mapping[str, Any], at: list[str | int], fail: Fail) -> Mapping[str, str]:
    tags: dict[str, str] = dict(item.get("tags", {}))
    for key in tags:
        if key in REQUIRED_TAGS or key.lower().startswith("aws:"):
            fail([*at, "tags", key], "this tag is set by the stack (or reserved by AWS)")
    return MappingProxyType(tags)


@dataclass(frozen=True)
class _NameRule:
    kind: str
    regex: str
    charset: str
    low: int
    high: int

    def problem(self, name: str, physical: str) -> str | None:
        if not self.low <= len(physical) <= self.high:
            return (
                f"{self.kind} names are {self.low} to {self.high} characters;"
                f" the physical name {physical!r} has {len(physical)}"
            )
        if not re.fullmatch(self.regex, physical):
            return f"{self.kind} names may only use {self.charset}; got {name!r}"
        return None


_S3_NAME = _NameRule(
    "S3 bucket",
    r"[a-z0-9][a-z0-9-]*[a-z0-9]",
    "lowercase letters, digits and hyphens, starting and ending with a letter or digit"
    " (no dots: they break TLS for virtual-hosted requests)",
    3,
    63,
)
_TABLE_NAME = _NameRule(
    "DynamoDB table", r"[A-Za-z0-9_.-]+", "letters, digits, underscores, hyphens and dots", 3, 255
)
_FUNCTION_NAME = _NameRule(
    "Lambda function", r"[A-Za-z0-9_-]+", "letters, digits, hyphens and underscores", 1, 64
)
_S3_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", "--x-s3", "--table-s3")


def _bucket(
    item: Mapping[str, Any], at: list[str | int], settings: Settings, fail: Fail
) -> BucketSpec:
    name: str = item["name"]
    prefix = settings.bucket_prefix or "0" * ACCOUNT_ID_LENGTH
    physical = settings.names.bucket(prefix, name)
    problem = _S3_NAME.problem(name, physical)
    if problem is None and physical.endswith(_S3_RESERVED_SUFFIXES):
        problem = f"S3 bucket names may not end with {', '.join(_S3_RESERVED_SUFFIXES)}"
    if problem:
        fail([*at, "name"], problem)
    return BucketSpec(name, _tags(item, at, fail))


def _table(
    item: Mapping[str, Any], at: list[str | int], settings: Settings, fail: Fail
) -> TableSpec:
    name: str = item["name"]
    problem = _TABLE_NAME.problem(name, settings.names.table(name))
    if problem:
        fail([*at, "name"], problem)
    attributes = tuple(Attribute(a["name"], a["type"]) for a in item["attributes"])
    declared: dict[str, int] = {}
    for index, attribute in enumerate(attributes):
        if attribute.name in declared:
            fail(
                [*at, "attributes", index, "name"],
                f"attribute {attribute.name!r} is declared twice",
            )
        declared[attribute.name] = index
    keys = [item["hashKey"], *([item["rangeKey"]] if "rangeKey" in item else [])]
    for key_field, key in zip(("hashKey", "rangeKey"), keys, strict=False):
        if key not in declared:
            fail(
                [*at, key_field],
                f"{key_field} {key!r} must be one of the table's attributes"
                f" ({', '.join(declared)})",
            )
    if len(keys) == 2 and keys[0] == keys[1]:
        fail([*at, "rangeKey"], "rangeKey must differ from hashKey")
    for name_, index in declared.items():
        if name_ not in keys:
            fail(
                [*at, "attributes", index, "name"],
                f"attribute {name_!r} is not a key; DynamoDB only accepts key attributes here",
            )
    return TableSpec(
        name, keys[0], keys[1] if len(keys) == 2 else None, attributes, _tags(item, at, fail)
    )


@functools.cache
def _module_names(path: Path) -> frozenset[str]:
    """The names a Python module defines at its top level (functions, classes, assignments)."""
    names: set[str] = set()
    for node in ast.parse(path.read_bytes(), filename=str(path)).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(target.id for target in targets if isinstance(target, ast.Name))
    return frozenset(names)


def _function(
    item: Mapping[str, Any], at: list[str | int], settings: Settings, fail: Fail
) -> FunctionSpec:
    name: str = item["name"]
    problem = _FUNCTION_NAME.problem(name, settings.names.function(name))
    if problem:
        fail([*at, "name"], problem)
    if item["runtime"] not in SUPPORTED_RUNTIMES:
        fail(
            [*at, "runtime"],
            f"runtime {item['runtime']!r} is not supported: the functions are Python from"
            f" lambda_packages/, on {' or '.join(SUPPORTED_RUNTIMES)}",
        )
    package: str = item.get("package", name.replace("-", "_"))
    module_name, _, function = item["handler"].rpartition(".")
    module = module_name.replace(".", "/") + ".py"
    if not (LAMBDA_PACKAGES / package / module).is_file():
        where = [*at, "package"] if "package" in item else [*at, "name"]
        fail(where, f"no handler module lambda_packages/{package}/{module} for {item['handler']!r}")
    try:
        defined = _module_names(LAMBDA_PACKAGES / package / module)
    except SyntaxError as bad:
        fail([*at, "handler"], f"lambda_packages/{package}/{module}:{bad.lineno}: {bad.msg}")
    if function not in defined:
        fail(
            [*at, "handler"],
            f"lambda_packages/{package}/{module} defines no top-level {function!r}",
        )
    environment: Mapping[str, str] = item.get("environment", {})
    for variable in environment:
        if variable in STACK_ENVIRONMENT or variable.startswith("AWS_"):
            fail([*at, "environment", variable], "this variable is set by the stack or by Lambda")
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", variable):
            fail(
                [*at, "environment", variable], "variable names are letters, digits and underscores"
            )
    # The one optional variable the payment functions read: a bad value would fail the cold start.
    if not re.fullmatch(r"[1-9][0-9]{0,8}", environment.get("MAX_BODY_BYTES", "1")):
        fail(
            [*at, "environment", "MAX_BODY_BYTES"],
            "MAX_BODY_BYTES is a whole number of bytes above 0 (the largest body read)",
        )
    return FunctionSpec(
        name,
        item["handler"],
        item["runtime"],
        package,
        MappingProxyType(dict(environment)),
        _tags(item, at, fail),
    )
