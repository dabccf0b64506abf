"""The live verification benchmark's table: medians, and the median of per-round ratios to one
check in flight. Nothing here is timed: the measurements are given."""

import io

from compliance.bench.verify import Timing, report


def test_each_concurrency_shows_its_median_and_its_median_ratio_to_serial() -> None:
    timings = [
        Timing(1, (2.0, 4.0, 3.0)),
        Timing(8, (1.0, 1.0, 3.0)),
    ]
    out = io.StringIO()

    report(timings, checks=68, rounds=3, out=out)

    text = out.getvalue()
    assert "(68 checks)" in text
    assert "3 round(s)" in text
    rows = {
        line.split()[0]: line.split()[1:]
        for line in text.splitlines()
        if line[:10].strip().isdigit()
    }
    # Round ratios 0.5, 0.25, 1.0: the median is 0.5, though the medians' ratio is 1/3.
    assert rows == {"1": ["3.00", "1.00"], "8": ["1.00", "0.50"]}
    assert text.rstrip().splitlines()[-1].startswith("bytecode: a cache ")
