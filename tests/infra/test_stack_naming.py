"""Physical names: built in one place, shortened with a stable hash where AWS bounds them."""

from infra.naming import BACKUP_SELECTION_MAX, Names, bounded

NAMES = Names("prod")


def test_names_join_inventory_name_and_suffix() -> None:
    assert NAMES.bucket("123456789012", "lambda-code") == "123456789012-lambda-code-prod"
    assert NAMES.table("transactions") == "transactions-prod"
    assert NAMES.function_log_group("payment-processor") == "/aws/lambda/payment-processor-prod"
    assert NAMES.code_key("payment-processor", "ab12") == "payment-processor/ab12.zip"
    assert NAMES.waf_log_group.startswith("aws-waf-logs-")


def test_long_names_are_shortened_stably_and_stay_distinct() -> None:
    first, second = "ledger-" + "x" * 200 + "-a", "ledger-" + "x" * 200 + "-b"
    shortened = {NAMES.backup_selection(first), NAMES.backup_selection(second)}
    assert len(shortened) == 2
    assert all(len(name) <= BACKUP_SELECTION_MAX for name in shortened)
    assert NAMES.backup_selection(first) == NAMES.backup_selection(first)
    assert NAMES.backup_selection("transactions") == "transactions-prod"
    assert bounded("short", 10) == "short"
