"""`nox -s bench`, the payment functions' card-number scan: time per KB at 10 KB and at 1 MB.

A linear scan costs the same per KB at both sizes (ratio near 1); the scan it replaced grew with
the square of a run of separated digits (`1 1 1 ...`: 100 KB took 5 s, 400 KB passed the 30 s
timeout). Each shape is scanned `repeat` times at each size and the best time kept.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import TextIO

from lambda_packages.packaging import SHARED_PACKAGE, SHARED_SOURCE_ROOT

SIZES = (10 * 1024, 1024 * 1024)
SHAPES = {
    "separated digits (1 1 1 ...)": "1 ",
    "one run of digits": "4111",
    "prose with numbers": "Invoice 2026-118, order 7f3a9c21; ",
    "base64-like letters": "aGVsbG8gd29ybGQh",
}


def run_card_scan_benchmark(*, repeat: int, out: TextIO) -> None:
    scan: Callable[[str], bool] = card_numbers_module().contains_card_number
    print(
        "\nCard-number scan of one text (payments_core.card_numbers), best of "
        f"{repeat} at 10 KB and 1 MB",
        file=out,
    )
    print(f"{'text':<32}{'us/KB 10 KB':>13}{'us/KB 1 MB':>13}{'ratio':>8}", file=out)
    for name, unit in SHAPES.items():
        per_kb = [
            _best(scan, (unit * (size // len(unit) + 1))[:size], repeat) / (size / 1024)
            for size in SIZES
        ]
        print(
            f"{name:<32}{per_kb[0] * 1e6:>13.1f}{per_kb[1] * 1e6:>13.1f}"
            f"{per_kb[1] / per_kb[0]:>8.2f}",
            file=out,
        )
    print(bytecode_note(), file=out)


def card_numbers_module() -> ModuleType:
    """The functions' module, imported as their zips import it (the shared package top-level)."""
    if str(SHARED_SOURCE_ROOT) not in sys.path:
        sys.path.insert(0, str(SHARED_SOURCE_ROOT))
    return importlib.import_module(f"{SHARED_PACKAGE}.card_numbers")


def bytecode_note() -> str:
    source = card_numbers_module().__file__ or ""
    cached = Path(importlib.util.cache_from_source(source)).is_file()
    writes = "off" if sys.dont_write_bytecode else "on"
    return (
        f"bytecode: a cache {'existed' if cached else 'did not exist'} for {Path(source).name} "
        f"(writing caches {writes}); the module is imported before the clock starts"
    )


def _best(scan: Callable[[str], bool], text: str, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        scan(text)
        times.append(time.perf_counter() - start)
    return min(times)
