"""`nox -s bench`, the audit against checkov alone on the same plan.

Each pair runs the whole audit (`python -m compliance audit`: the preview with the policy pack,
checkov in its own process meanwhile, the four reports) and then checkov's own CLI over the plan
that audit wrote (`checkov --framework terraform_plan --skip-download -f plan.json`, from checkov's
own environment), one after the other, A B A B ...; the ratio is per pair, and its median is the
verdict. Pairs run with `PYTHONDONTWRITEBYTECODE` unset and set to 1. A warm-up audit (which also
writes the plan) and a warm-up checkov run come first and are not reported: checkov's first run
after its install takes several times a later one.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from compliance.bench.preview import NO_WRITES, STACK, BenchError
from compliance.checkov.environment import checkov_python

AUDIT_TARGET_RATIO = 1.0
SETTINGS: tuple[tuple[str, dict[str, str]], ...] = (
    (f"{NO_WRITES} unset", {}),
    (f"{NO_WRITES}=1", {NO_WRITES: "1"}),
)


@dataclass(frozen=True)
class Pair:
    setting: str
    audit: float
    checkov: float

    @property
    def ratio(self) -> float:
        return self.audit / self.checkov


def run_audit_benchmark(
    project_dir: Path, pack_dir: Path, policy_config: Path | None, *, pairs: int, out: TextIO
) -> None:
    checkov_cli = Path(checkov_python()).with_name("checkov")
    env = {k: v for k, v in os.environ.items() if k != NO_WRITES}
    with tempfile.TemporaryDirectory(prefix="audit-bench-") as scratch:
        build, reports = Path(scratch) / "build", Path(scratch) / "reports"
        audit = [
            sys.executable,
            "-m",
            "compliance",
            "audit",
            "--project-dir",
            str(project_dir),
            "--policy-pack",
            str(pack_dir.resolve()),
            "--build-dir",
            str(build),
            "--out",
            str(reports),
            "--fail-on",
            "none",
        ]
        if policy_config is not None:
            audit += ["--policy-pack-config", str(policy_config.resolve())]
        _timed(audit, env, project_dir)  # warm-up; writes the plan
        plan = build / "checkov" / STACK / "plan.json"
        checkov = [
            str(checkov_cli),
            "--framework",
            "terraform_plan",
            "--skip-download",
            "--soft-fail",
            "--quiet",
            "--compact",
            "-f",
            str(plan),
        ]
        _timed(checkov, env, project_dir)  # warm-up
        measured = [
            Pair(
                setting,
                _timed(audit, env | extra, project_dir),
                _timed(checkov, env | extra, project_dir),
            )
            for setting, extra in SETTINGS
            for _ in range(pairs)
        ]
    _report(measured, out)


def _timed(command: Sequence[str], env: dict[str, str], cwd: Path) -> float:
    started = time.perf_counter()
    completed = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - started
    if completed.returncode != 0:
        tail = (completed.stderr or completed.stdout).strip().splitlines()[-1:] or [""]
        raise BenchError(f"{Path(command[0]).name} {' '.join(command[1:3])} failed: {tail[0]}")
    return elapsed


def _report(pairs: Sequence[Pair], out: TextIO) -> None:
    print("\naudit against checkov alone, on the same plan (pairs in the order they ran)", file=out)
    header = f"{'setting':<32}{'pair':>5}{'audit s':>9}{'checkov s':>11}{'ratio':>7}"
    print(header, file=out)
    print("-" * len(header), file=out)
    for setting in dict.fromkeys(pair.setting for pair in pairs):
        mine = [pair for pair in pairs if pair.setting == setting]
        for index, pair in enumerate(mine, start=1):
            print(
                f"{setting:<32}{index:>5}{pair.audit:>9.2f}{pair.checkov:>11.2f}{pair.ratio:>7.2f}",
                file=out,
            )
    verdicts = []
    for setting in dict.fromkeys(pair.setting for pair in pairs):
        median = statistics.median(pair.ratio for pair in pairs if pair.setting == setting)
        verdicts.append(f"{median:.2f} with {setting}")
    below = all(
        statistics.median(p.ratio for p in pairs if p.setting == s) < AUDIT_TARGET_RATIO
        for s in dict.fromkeys(p.setting for p in pairs)
    )
    verdict = "meets" if below else "misses"
    print(
        f"median audit / checkov: {'; '.join(verdicts)} ({verdict} the goal of below "
        f"{AUDIT_TARGET_RATIO:.1f})",
        file=out,
    )
