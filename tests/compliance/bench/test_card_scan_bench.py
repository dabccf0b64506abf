"""The card-number scan benchmark: every shape at both sizes, per KB, with the ratio."""

import io

from compliance.bench.card_scan import SHAPES, card_numbers_module, run_card_scan_benchmark


def test_each_shape_is_a_row_of_two_times_per_kb_and_their_ratio() -> None:
    out = io.StringIO()

    run_card_scan_benchmark(repeat=1, out=out)

    lines = out.getvalue().strip().splitlines()
    assert lines[1].split() == ["text", "us/KB", "10", "KB", "us/KB", "1", "MB", "ratio"]
    rows = {line[:32].strip(): line[32:].split() for line in lines[2:-1]}
    assert set(rows) == set(SHAPES)
    for small, large, ratio in rows.values():
        assert float(small) > 0
        assert float(large) > 0
        assert abs(float(ratio) - float(large) / float(small)) < 0.01
    assert lines[-1].startswith("bytecode: a cache ")


def test_it_times_the_functions_own_scan() -> None:
    """The module the zips ship, not a copy: it finds what the functions refuse."""
    module = card_numbers_module()

    assert str(module.__file__).endswith("shared-code/payments_core/card_numbers.py")
    assert module.contains_card_number("4111.1111.1111.1111")
