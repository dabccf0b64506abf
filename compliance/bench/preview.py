"""`nox -s bench`: wall time of the offline preview with the policy pack.

Each case runs `compliance.preview.run` end to end in a fresh interpreter, as `nox -s preview` does:
the payment stack itself, then synthetic inventories scaled to about N resources (more buckets,
tables and functions in a generated inventory that a temporary stack config,
`Pulumi.bench-<N>.yaml`, points `payments:inventoryFile` at). The table shows where the time goes:
start-up (interpreter and imports), the program under mocks (the pack's process starts and analyzes
each resource meanwhile, in parallel, as the engine does), what the pack adds after the program
(the analysis it has not finished, AnalyzeStack, findings), and the rest (writing the graph and
events, printing).

Each case runs twice in turn, with `PYTHONDONTWRITEBYTECODE` unset and set to 1, the best of
`--repeat` runs kept for each: every environment the tooling builds compiles its bytecode at
install, so the two should cost the same. A warm-up run comes first and is not reported.
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TextIO, TypeVar

import yaml

from compliance.model.errors import USER_ERROR_EXIT, UserError
from compliance.model.files import read_yaml_mapping
from compliance.preview.project import stack_config_path

STACK = "prod"
INVENTORY_KEY = "payments:inventoryFile"
STACK_TARGET_SECONDS = 2.5
GROWTH_SLACK = 1.2
"""The largest inventory may take at most this much more than linear growth from the smallest."""
NO_WRITES = "PYTHONDONTWRITEBYTECODE"
T = TypeVar("T")


class BenchError(UserError):
    """A measured preview refused its input (the stack config, the policy pack or its config)."""


@dataclass(frozen=True)
class Measurement:
    case: str
    resources: int
    total: float
    """Wall time of the whole interpreter, measured from outside."""
    run: float
    """The preview itself: `preview()` and printing, measured inside."""
    program: float
    pack: float
    blocking: int
    total_no_writes: float | None = None
    """Wall time of the same run with `PYTHONDONTWRITEBYTECODE=1`."""

    @property
    def start_up(self) -> float:
        """Interpreter start and imports."""
        return self.total - self.run

    @property
    def rest(self) -> float:
        """Writing the graph and the events, printing."""
        return self.run - self.program - self.pack


def run_benchmark(
    project_dir: Path,
    pack_dir: Path,
    policy_config: Path | None,
    *,
    sizes: Sequence[int],
    repeat: int,
    out: TextIO,
) -> None:
    bench = _Bench(project_dir.resolve(), pack_dir, policy_config, max(1, repeat))
    bench.measure("warm-up", STACK)
    stack = bench.measure(f"stack ({STACK})", STACK)
    results = [stack]
    with tempfile.TemporaryDirectory(prefix="preview-bench-") as scratch:
        base = bench.base_inventory()
        one_copy = bench.measure_inventory(Path(scratch), "calibration", _scaled(base, 1))
        per_copy = max(1, one_copy.resources - stack.resources)
        for size in sizes:
            copies = max(0, round((size - stack.resources) / per_copy))
            results.append(
                bench.measure_inventory(
                    Path(scratch), f"inventory ~{size:,}", _scaled(base, copies)
                )
            )
    _report(results, out)


class _Bench:
    def __init__(
        self, project_dir: Path, pack_dir: Path, policy_config: Path | None, repeat: int
    ) -> None:
        self.project_dir = project_dir
        self.pack_dir = pack_dir.resolve()
        self.policy_config = policy_config.resolve() if policy_config else None
        self.repeat = repeat
        self.env = {k: v for k, v in os.environ.items() if k != NO_WRITES}
        self.stack_config = read_yaml_mapping(stack_config_path(project_dir, STACK), BenchError)
        """The measured stack's config, which each synthetic stack's starts from."""

    def base_inventory(self) -> dict[str, Any]:
        config = self.stack_config.get("config") or {}
        relative = config.get(INVENTORY_KEY, "config/dev-config.json")
        inventory: dict[str, Any] = json.loads((self.project_dir / relative).read_text())
        return inventory

    def measure_inventory(self, scratch: Path, case: str, inventory: dict[str, Any]) -> Measurement:
        inventory_file = scratch / f"{len(inventory['s3Buckets'])}.json"
        inventory_file.write_text(json.dumps(inventory))
        stack = f"bench-{len(inventory['s3Buckets'])}"
        config = (self.stack_config.get("config") or {}) | {INVENTORY_KEY: str(inventory_file)}
        text = yaml.safe_dump({**self.stack_config, "config": config})
        with _temporary_file(stack_config_path(self.project_dir, stack), text):
            return self.measure(case, stack)

    def measure(self, case: str, stack: str) -> Measurement:
        writes: list[Measurement] = []
        no_writes: list[float] = []
        for _ in range(self.repeat):
            writes.append(self._measure_once(case, stack, self.env))
            no_writes.append(self._measure_once(case, stack, self.env | {NO_WRITES: "1"}).total)
        best = min(writes, key=lambda m: m.total)
        return replace(best, total_no_writes=min(no_writes))

    def _measure_once(self, case: str, stack: str, env: dict[str, str]) -> Measurement:
        command = [
            sys.executable,
            "-m",
            "compliance.bench.preview",
            "--stack",
            stack,
            "--project-dir",
            str(self.project_dir),
            "--policy-pack",
            str(self.pack_dir),
        ]
        if self.policy_config is not None:
            command += ["--policy-pack-config", str(self.policy_config)]
        started = time.perf_counter()
        completed = subprocess.run(
            command,
            cwd=self.project_dir,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        total = time.perf_counter() - started
        if completed.returncode == USER_ERROR_EXIT:
            raise BenchError(completed.stderr.strip().splitlines()[-1].removeprefix("error: "))
        if completed.returncode != 0:
            raise RuntimeError(f"{case}: the measured preview failed:\n{completed.stderr}")
        timings = json.loads(completed.stdout.strip().splitlines()[-1])
        return Measurement(case=case, total=total, **timings)


def _scaled(base: dict[str, Any], copies: int) -> dict[str, Any]:
    """The base inventory plus `copies` more buckets, tables and functions."""
    function = base["lambdaFunctions"][0]
    table = base["dynamoTables"][0]
    return {
        "s3Buckets": [*base["s3Buckets"], *({"name": f"bench-{i}"} for i in range(copies))],
        "dynamoTables": [
            *base["dynamoTables"],
            *({**table, "name": f"bench-{i}"} for i in range(copies)),
        ],
        "lambdaFunctions": [
            *base["lambdaFunctions"],
            *(
                {
                    **function,
                    "name": f"bench-{i}",
                    "package": function.get("package", function["name"].replace("-", "_")),
                }
                for i in range(copies)
            ),
        ],
    }


@contextmanager
def _temporary_file(path: Path, text: str) -> Iterator[None]:
    path.write_text(text)
    try:
        yield
    finally:
        path.unlink(missing_ok=True)


def _report(results: list[Measurement], out: TextIO) -> None:
    header = (
        f"{'case':<22}{'resources':>10}{'total s':>9}{'start-up':>10}{'program':>9}"
        f"{'pack':>7}{'other':>7}{'blocking':>10}{'no-pyc s':>10}{'ratio':>7}"
    )
    print(header, file=out)
    print("-" * len(header), file=out)
    for m in results:
        shares = [m.start_up, m.program, m.pack, m.rest]
        cells = "".join(
            f"{share / m.total:>{w}.0%}" for share, w in zip(shares, (10, 9, 7, 7), strict=True)
        )
        no_pyc = (
            f"{m.total_no_writes:>10.2f}{m.total_no_writes / m.total:>7.2f}"
            if m.total_no_writes
            else ""
        )
        print(
            f"{m.case:<22}{m.resources:>10,}{m.total:>9.2f}{cells}{m.blocking:>10}{no_pyc}",
            file=out,
        )
    stack = results[0]
    verdict = "meets" if stack.total < STACK_TARGET_SECONDS else "misses"
    print(
        f"\npayment stack: {stack.total:.2f} s end to end ({verdict} the {STACK_TARGET_SECONDS} s "
        "target)",
        file=out,
    )
    inventories = [m for m in results if m.case.startswith("inventory")]
    if len(inventories) >= 2:
        small, large = inventories[0], inventories[-1]
        growth = large.total / small.total
        size_ratio = large.resources / small.resources
        target = GROWTH_SLACK * size_ratio
        verdict = "meets" if growth <= target else "misses"
        print(
            f"growth: {large.resources:,} resources take {growth:.1f}x the time of "
            f"{small.resources:,} ({size_ratio:.1f}x the resources; {verdict} the "
            f"{target:.0f}x target)",
            file=out,
        )
    ratios = [m.total_no_writes / m.total for m in results if m.total_no_writes]
    if ratios:
        print(
            f"bytecode: with {NO_WRITES}=1 a run takes {min(ratios):.2f}-{max(ratios):.2f}x "
            "the time it takes without (goal: near 1.0)",
            file=out,
        )


def _timed(function: Callable[..., T], into: dict[str, float], key: str) -> Callable[..., T]:
    def timed(*args: Any, **kwargs: Any) -> T:
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            into[key] = into.get(key, 0.0) + time.perf_counter() - started

    return timed


def _measure_in_this_process(args: argparse.Namespace) -> dict[str, Any]:
    """One preview through `compliance.preview.run`, its phases timed by wrapping its steps."""
    # Imported here: their import is start-up, measured as the rest of the interpreter's time.
    from compliance.preview import run as preview_module  # noqa: PLC0415
    from compliance.preview.policy_findings import (  # noqa: PLC0415
        BackgroundAnalysis,
        PolicySession,
    )

    timings: dict[str, float] = {}
    started = time.perf_counter()
    steps = vars(preview_module)
    steps["run_program"] = _timed(steps["run_program"], timings, "program")
    # What the pack adds once the program is done: waiting for its queue, then AnalyzeStack.
    BackgroundAnalysis.session = _timed(BackgroundAnalysis.session, timings, "pack")  # type: ignore[method-assign]
    PolicySession.finish = _timed(PolicySession.finish, timings, "pack")  # type: ignore[method-assign]
    with tempfile.TemporaryDirectory(prefix="preview-bench-build-") as build:
        result = preview_module.preview(
            args.project_dir,
            args.stack,
            args.policy_pack_config,
            Path(build),
            pack_dir=args.policy_pack,
        )
        preview_module.render(result, io.StringIO())
    return {
        "resources": len(result.graph),
        "run": time.perf_counter() - started,
        "program": timings["program"],
        "pack": timings["pack"],
        "blocking": len(result.policy.blocking),
    }


def main(argv: Sequence[str] | None = None) -> int:
    """The measured child: one preview, its timings as one JSON line on stdout."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stack", required=True)
    parser.add_argument("--project-dir", type=Path, required=True)
    parser.add_argument("--policy-pack", type=Path, required=True)
    parser.add_argument("--policy-pack-config", type=Path, default=None)
    try:
        timings = _measure_in_this_process(parser.parse_args(argv))
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return USER_ERROR_EXIT
    print(json.dumps(timings), flush=True)
    gc.freeze()  # exit as `python -m compliance` does, without the final collection
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
