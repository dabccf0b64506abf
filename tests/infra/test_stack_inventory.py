"""The dev inventory: loaded into typed objects, every malformed input one clear error."""

import copy
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from infra import inventory
from infra.config import PROJECT_ROOT, Settings, parse_settings
from infra.errors import ConfigError
from infra.inventory import Inventory, default_inventory, load_inventory, parse_inventory
from tests.infra.stack_harness import BASE_CONFIG

SOURCE = "config/dev-config.json"
DEV_CONFIG_TEXT = (PROJECT_ROOT / SOURCE).read_text()
DEV_CONFIG = json.loads(DEV_CONFIG_TEXT)


def stack_settings(**overrides: str) -> Settings:
    return parse_settings(
        {**BASE_CONFIG, **{f"payments:{key}": value for key, value in overrides.items()}},
        "Pulumi.prod.yaml",
    )


def parse(document: object) -> Inventory:
    return parse_inventory(document, SOURCE, stack_settings())


def edited(edit: Callable[[dict[str, Any]], object]) -> dict[str, Any]:
    document: dict[str, Any] = copy.deepcopy(DEV_CONFIG)
    edit(document)
    return document


def test_dev_config_loads_into_typed_frozen_objects() -> None:
    inventory = load_inventory(stack_settings())
    assert inventory.source == SOURCE
    assert [b.name for b in inventory.buckets] == [
        "payment-documents",
        "payment-receipts",
        "lambda-code",
    ]
    transactions = inventory.tables[0]
    assert (transactions.name, transactions.hash_key, transactions.range_key) == (
        "transactions",
        "transactionId",
        None,
    )
    processor = inventory.functions[0]
    assert (processor.runtime, processor.handler, processor.package) == (
        "python3.12",
        "app.handler",
        "payment_processor",
    )
    with pytest.raises(AttributeError):
        processor.name = "other"  # type: ignore[misc]


def test_missing_file_falls_back_to_the_seed_inventory_with_a_warning(tmp_path: Path) -> None:
    warnings: list[str] = []
    missing = tmp_path / "absent.json"
    inventory = load_inventory(stack_settings(inventoryFile=str(missing)), warnings.append)
    assert inventory == parse_inventory(
        default_inventory(), "built-in default inventory", stack_settings()
    )
    assert inventory.resource_counts == {"s3Buckets": 3, "dynamoTables": 2, "lambdaFunctions": 2}
    assert len(warnings) == 1
    assert str(missing) in warnings[0]


def test_function_may_set_its_body_limit() -> None:
    document = edited(updated("lambdaFunctions", 0, environment={"MAX_BODY_BYTES": "16384"}))
    assert parse(document).functions[0].environment == {"MAX_BODY_BYTES": "16384"}


def test_default_package_is_the_function_name_with_underscores() -> None:
    document = edited(lambda d: [f.pop("package") for f in d["lambdaFunctions"]])
    assert [f.package for f in parse(document).functions] == [
        "payment_processor",
        "payment_validator",
    ]


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ('{"s3Buckets": [}', "not valid JSON: Expecting value at line 1, column 16"),
        ('{"s3Buckets": [], "s3Buckets": []}', "duplicate key 's3Buckets' in a JSON object"),
        ("[" * 100_000, "JSON nested too deeply to read"),
    ],
)
def test_unreadable_file_is_one_error_at_the_root(tmp_path: Path, text: str, rule: str) -> None:
    path = tmp_path / "inventory.json"
    path.write_text(text)
    with pytest.raises(ConfigError) as raised:
        load_inventory(stack_settings(inventoryFile=str(path)))
    assert str(raised.value) == f"{path}: $: {rule}"


def test_file_that_is_not_utf8_is_one_error(tmp_path: Path) -> None:
    path = tmp_path / "inventory.json"
    path.write_bytes(b"\xff\xfe{")
    with pytest.raises(ConfigError, match=r"\$: cannot be read as UTF-8"):
        load_inventory(stack_settings(inventoryFile=str(path)))


def updated(section: str, index: int, **values: object) -> Callable[[dict[str, Any]], object]:
    """An edit setting `values` on entry `index` of the inventory's `section`."""
    return lambda document: document[section][index].update(values)


BAD_INVENTORIES: list[tuple[str, Callable[[dict[str, Any]], object], str, str]] = [
    (
        "missing hash key",
        lambda d: d["dynamoTables"][1].pop("hashKey"),
        "$.dynamoTables[1].hashKey",
        "required key is missing",
    ),
    (
        "seed's codeS3Key",
        updated("lambdaFunctions", 0, codeS3Key="x.zip"),
        "$.lambdaFunctions[0].codeS3Key",
        "unknown key",
    ),
    ("unknown section", lambda d: d.update(queues=[]), "$.queues", "unknown key"),
    ("missing section", lambda d: d.pop("dynamoTables"), "$.dynamoTables", "required key"),
    (
        "wrong type",
        lambda d: d["s3Buckets"].__setitem__(0, {"name": 7}),
        "$.s3Buckets[0].name",
        "must be of JSON type string, got number",
    ),
    (
        "attribute type",
        lambda d: d["dynamoTables"][0]["attributes"][0].update(type="BOOL"),
        "$.dynamoTables[0].attributes[0].type",
        "S (string), N (number) or B (binary)",
    ),
    (
        "hash key not an attribute",
        updated("dynamoTables", 0, hashKey="id"),
        "$.dynamoTables[0].hashKey",
        "must be one of the table's attributes",
    ),
    (
        "range key not an attribute",
        updated("dynamoTables", 0, rangeKey="createdAt"),
        "$.dynamoTables[0].rangeKey",
        "must be one of the table's attributes",
    ),
    (
        "attribute that is no key",
        lambda d: d["dynamoTables"][0]["attributes"].append({"name": "amount", "type": "N"}),
        "$.dynamoTables[0].attributes[1].name",
        "not a key",
    ),
    (
        "duplicate bucket",
        lambda d: d["s3Buckets"].append({"name": "payment-receipts"}),
        "$.s3Buckets[3].name",
        "duplicate name 'payment-receipts', first at $.s3Buckets[1].name",
    ),
    (
        "bucket named as the audit trail's",
        lambda d: d["s3Buckets"].append({"name": "audit-trail"}),
        "$.s3Buckets[3].name",
        "'audit-trail' is the name of the stack's own audit-trail bucket",
    ),
    (
        "duplicate table",
        lambda d: d["dynamoTables"].append(copy.deepcopy(d["dynamoTables"][0])),
        "$.dynamoTables[2].name",
        "duplicate name",
    ),
    (
        "bucket with capitals",
        updated("s3Buckets", 0, name="Payment-Documents"),
        "$.s3Buckets[0].name",
        "S3 bucket names may only use lowercase letters",
    ),
    (
        "bucket with dots",
        updated("s3Buckets", 0, name="payment.documents"),
        "$.s3Buckets[0].name",
        "no dots",
    ),
    (
        "bucket too long with prefix and suffix",
        updated("s3Buckets", 0, name="d" * 47),
        "$.s3Buckets[0].name",
        "S3 bucket names are 3 to 63 characters",
    ),
    (
        "table name with a space",
        updated("dynamoTables", 0, name="pay ments"),
        "$.dynamoTables[0].name",
        "DynamoDB table names may only use",
    ),
    (
        "function name too long",
        updated("lambdaFunctions", 1, name="f" * 60),
        "$.lambdaFunctions[1].name",
        "Lambda function names are 1 to 64 characters",
    ),
    (
        "deprecated runtime",
        updated("lambdaFunctions", 0, runtime="nodejs18.x"),
        "$.lambdaFunctions[0].runtime",
        "'nodejs18.x' is not supported",
    ),
    (
        "old python",
        updated("lambdaFunctions", 0, runtime="python3.9"),
        "$.lambdaFunctions[0].runtime",
        "python3.12 or python3.13",
    ),
    (
        "package without code",
        updated("lambdaFunctions", 0, package="refunds"),
        "$.lambdaFunctions[0].package",
        "no handler module lambda_packages/refunds/app.py",
    ),
    (
        "handler function the module does not define",
        updated("lambdaFunctions", 1, handler="app.handle"),
        "$.lambdaFunctions[1].handler",
        "lambda_packages/payment_validator/app.py defines no top-level 'handle'",
    ),
    (
        "handler that is no module.function",
        updated("lambdaFunctions", 0, handler="handler"),
        "$.lambdaFunctions[0].handler",
        "module.function",
    ),
    (
        "environment overriding the stack",
        updated("lambdaFunctions", 0, environment={"TRANSACTIONS_TABLE": "x"}),
        "$.lambdaFunctions[0].environment.TRANSACTIONS_TABLE",
        "set by the stack",
    ),
    (
        "body limit the function would refuse at cold start",
        updated("lambdaFunctions", 0, environment={"MAX_BODY_BYTES": "8k"}),
        "$.lambdaFunctions[0].environment.MAX_BODY_BYTES",
        "whole number of bytes above 0",
    ),
    (
        "tag the stack sets",
        updated("s3Buckets", 0, tags={"MigrationDate": "2020-01-01"}),
        "$.s3Buckets[0].tags.MigrationDate",
        "set by the stack",
    ),
    (
        "no lambda-code bucket",
        lambda d: d["s3Buckets"].pop(2),
        "$.s3Buckets",
        "no entry named 'lambda-code'",
    ),
    (
        "no customers table",
        lambda d: d["dynamoTables"].pop(1),
        "$.dynamoTables",
        "no entry named 'customers'",
    ),
    (
        "no function behind POST /payment",
        lambda d: d["lambdaFunctions"].pop(0),
        "$.lambdaFunctions",
        "no entry named 'payment-processor'",
    ),
    (
        "function roles differing only in case",
        lambda d: d["lambdaFunctions"].append(
            {**d["lambdaFunctions"][1], "name": "Payment-Validator"}
        ),
        "$.lambdaFunctions[2].name",
        "differs only in case from the role of $.lambdaFunctions[1].name (IAM role names ignore",
    ),
    (
        "too many roles for the key policy",
        lambda d: d["lambdaFunctions"].extend(
            {**d["lambdaFunctions"][0], "name": f"processor-copy-{i}"} for i in range(600)
        ),
        "$.lambdaFunctions",
        "601 functions run payment_processor code: the key policy naming each one's role would",
    ),
]


@pytest.mark.parametrize(
    ("edit", "path", "rule"),
    [case[1:] for case in BAD_INVENTORIES],
    ids=[case[0] for case in BAD_INVENTORIES],
)
def test_bad_inventory_is_one_error_naming_file_path_and_rule(
    edit: Callable[[dict[str, Any]], object], path: str, rule: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        parse(edited(edit))
    assert (raised.value.source, raised.value.path) == (SOURCE, path)
    assert rule in raised.value.rule
    assert str(raised.value).startswith(f"{SOURCE}: {path}: ")


def test_handler_module_that_is_not_python_is_one_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "payment_processor").mkdir()
    (tmp_path / "payment_processor" / "app.py").write_text("def handler(event, context):\n")
    monkeypatch.setattr(inventory, "LAMBDA_PACKAGES", tmp_path)
    with pytest.raises(ConfigError) as raised:
        parse(DEV_CONFIG)
    assert raised.value.path == "$.lambdaFunctions[0].handler"
    assert raised.value.rule.startswith("lambda_packages/payment_processor/app.py:")
    assert "expected an indented block" in raised.value.rule


def test_bucket_rules_apply_to_the_physical_name_with_the_configured_prefix() -> None:
    document = edited(updated("s3Buckets", 0, name="d" * 40))
    parse_inventory(document, SOURCE, stack_settings())  # 12-digit account id: 57 characters
    with pytest.raises(ConfigError, match="the physical name 'acme-payments-prod-dd"):
        parse_inventory(document, SOURCE, stack_settings(bucketPrefix="acme-payments-prod"))


def test_inventory_of_thousands_of_resources_parses() -> None:
    document = edited(
        lambda d: (
            d["s3Buckets"].extend({"name": f"archive-{i}"} for i in range(2000)),
            d["dynamoTables"].extend(
                {"name": f"ledger-{i}", "hashKey": "k", "attributes": [{"name": "k", "type": "S"}]}
                for i in range(2000)
            ),
            d["lambdaFunctions"].extend(
                {
                    "name": f"worker-{i}",
                    "handler": "app.handler",
                    "runtime": "python3.13",
                    "package": "payment_validator",
                }
                for i in range(1000)
            ),
        )
    )
    assert parse(document).resource_counts == {
        "s3Buckets": 2003,
        "dynamoTables": 2002,
        "lambdaFunctions": 1002,
    }


def test_key_policy_names_as_many_processor_roles_as_kms_allows() -> None:
    settings = stack_settings()
    per_role = inventory.role_arn_length(settings, "processor-copy-000")
    fit = (inventory.KEY_POLICY_MAX - inventory.KEY_POLICY_FIXED) // per_role - 1
    copies = [
        {**DEV_CONFIG["lambdaFunctions"][0], "name": f"processor-copy-{i:03}"} for i in range(fit)
    ]
    parse(edited(lambda d: d["lambdaFunctions"].extend(copies)))
    more = [*copies, {**copies[0], "name": "processor-copy-999"}]
    with pytest.raises(ConfigError, match=f"{fit + 2} functions run payment_processor code"):
        parse(edited(lambda d: d["lambdaFunctions"].extend(more)))


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)


@st.composite
def mutated_inventories(draw: st.DrawFn) -> dict[str, Any]:
    """The dev inventory with one value somewhere replaced, or one key removed or added."""
    document: dict[str, Any] = copy.deepcopy(DEV_CONFIG)
    container: Any = document
    while True:
        keys = list(container) if isinstance(container, dict) else list(range(len(container)))
        if not keys:
            break
        key = draw(st.sampled_from(keys))
        child = container[key]
        if not isinstance(child, dict | list) or draw(st.booleans()):
            break
        container = child
    action = draw(st.sampled_from(["replace", "remove", "add"]))
    if action == "replace" and keys:
        container[key] = draw(JSON)
    elif action == "remove" and keys:
        del container[key]
    elif isinstance(container, dict):
        container[draw(st.text(max_size=8))] = draw(JSON)
    else:
        container.append(draw(JSON))
    return document


@given(mutated_inventories())
def test_any_mutated_inventory_parses_or_is_one_config_error_with_a_path(document: object) -> None:
    try:
        parse(document)
    except ConfigError as error:
        raised = error
    else:
        return
    assert raised.source == SOURCE
    assert raised.path.startswith("$")
    assert raised.rule


@given(JSON)
def test_any_json_document_is_a_config_error_not_a_crash(document: object) -> None:
    with pytest.raises(ConfigError):
        parse(document)


def _inventory_file(tmp_path: Path, make: Callable[[Path], object]) -> Path:
    path = tmp_path / "inventory.json"
    make(path)
    return path


@pytest.mark.parametrize(
    ("make", "rule"),
    [
        (os.mkfifo, "not a regular file (a pipe, device or folder)"),
        (lambda p: p.mkdir(), "not a regular file (a pipe, device or folder)"),
        (
            lambda p: p.write_text(DEV_CONFIG_TEXT.replace('"s3Buckets"', '"n": NaN, "s3Buckets"')),
            "NaN is not a JSON number",
        ),
        (
            lambda p: p.write_text(
                DEV_CONFIG_TEXT.replace('"s3Buckets"', '"n": ' + "9" * 5000 + ', "s3Buckets"')
            ),
            "an integer of 5000 digits (at most 30)",
        ),
    ],
)
def test_an_inventory_file_that_would_hang_or_crash_is_one_config_error(
    tmp_path: Path, make: Callable[[Path], object], rule: str
) -> None:
    path = _inventory_file(tmp_path, make)
    with pytest.raises(ConfigError) as raised:
        load_inventory(stack_settings(inventoryFile=str(path)))
    assert raised.value.path == "$"
    assert rule in raised.value.rule


def test_a_device_as_the_inventory_is_refused_unread() -> None:
    with pytest.raises(ConfigError, match="not a regular file"):
        load_inventory(stack_settings(inventoryFile="/dev/zero"))


def test_more_tags_than_aws_allows_are_refused() -> None:
    tags = {f"k{i}": "v" for i in range(51)}
    with pytest.raises(ConfigError) as raised:
        parse(edited(updated("s3Buckets", 0, tags=tags)))
    assert raised.value.path == "$.s3Buckets[0].tags"
