"""The audit benchmark's verdict: the median of per-pair ratios, per bytecode setting.

Nothing here is timed: the measurements are given, the verdicts are what is tested.
"""

import io

import pytest

from compliance.bench.audit import SETTINGS, Pair, _report

UNSET, NO_WRITES = (setting for setting, _ in SETTINGS)


@pytest.mark.parametrize(
    ("audits", "verdict"),
    [((5.0, 9.0, 5.5), "meets"), ((5.0, 7.0, 6.5), "misses")],
)
def test_the_verdict_is_the_median_ratio_of_the_pairs(
    audits: tuple[float, ...], verdict: str
) -> None:
    pairs = [Pair(UNSET, audit, 6.0) for audit in audits] + [Pair(NO_WRITES, 4.0, 6.0)] * 3
    out = io.StringIO()

    _report(pairs, out)

    median = sorted(audit / 6.0 for audit in audits)[1]
    assert f"median audit / checkov: {median:.2f} with {UNSET}; 0.67 with {NO_WRITES}" in (
        out.getvalue()
    )
    assert f"({verdict} the goal of below 1.0)" in out.getvalue()


def test_each_pair_is_listed_in_the_order_it_ran() -> None:
    out = io.StringIO()

    _report([Pair(UNSET, 5.0, 6.0), Pair(UNSET, 7.0, 5.0)], out)

    rows = [line.split() for line in out.getvalue().splitlines() if line.startswith(UNSET)]
    assert [(row[-4], row[-1]) for row in rows] == [("1", "0.83"), ("2", "1.40")]
