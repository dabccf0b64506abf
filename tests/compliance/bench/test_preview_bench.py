"""The benchmark's own logic: how it scales the inventory and how it judges its numbers.

Nothing here is timed: the measurements are given, the verdicts are what is tested.
"""

import io
import json
from pathlib import Path

import pytest

from compliance.bench.preview import Measurement, _report, _scaled

DEV_INVENTORY = Path(__file__).resolve().parents[3] / "config" / "dev-config.json"


def measurement(case: str, resources: int, total: float) -> Measurement:
    return Measurement(
        case=case,
        resources=resources,
        total=total,
        run=total - 0.2,
        program=total / 2,
        pack=total / 4,
        blocking=0,
    )


def test_scaling_adds_copies_of_each_kind_under_names_of_their_own() -> None:
    base = json.loads(DEV_INVENTORY.read_text())

    scaled = _scaled(base, 3)

    for kind in ("s3Buckets", "dynamoTables", "lambdaFunctions"):
        names = [entry["name"] for entry in scaled[kind]]
        assert names[: len(base[kind])] == [entry["name"] for entry in base[kind]]
        assert len(names) == len(base[kind]) + 3
        assert len(set(names)) == len(names)
    function = base["lambdaFunctions"][0]
    package = function.get("package", function["name"].replace("-", "_"))
    assert {copy["package"] for copy in scaled["lambdaFunctions"][-3:]} == {package}
    assert _scaled(base, 0) == {kind: base[kind] for kind in scaled}


@pytest.mark.parametrize(
    ("stack_total", "large_total", "stack_verdict", "growth_verdict"),
    [
        (2.3, 60.0, "meets the 2.5 s target", "12.0x the time of 500 (10.0x the resources; meets"),
        (
            2.6,
            61.0,
            "misses the 2.5 s target",
            "12.2x the time of 500 (10.0x the resources; misses",
        ),
    ],
)
def test_report_judges_the_stack_and_the_growth_against_their_targets(
    stack_total: float, large_total: float, stack_verdict: str, growth_verdict: str
) -> None:
    out = io.StringIO()

    _report(
        [
            measurement("stack (prod)", 82, stack_total),
            measurement("inventory ~500", 500, 5.0),
            measurement("inventory ~5,000", 5000, large_total),
        ],
        out,
    )

    text = out.getvalue()
    assert f"payment stack: {stack_total:.2f} s end to end ({stack_verdict})" in text
    assert f"growth: 5,000 resources take {growth_verdict}" in text
    assert "inventory ~5,000" in text.splitlines()[4]
