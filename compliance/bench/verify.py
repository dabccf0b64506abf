"""`nox -s bench`, the live verification of the stack against a local AWS API endpoint.

The stack is deployed into a moto server on the loopback interface (`local_account`), then
verified with 1, 4, 8 and 16 checks in flight, in rounds (each round runs every concurrency once,
in turn), so every setting sees the same machine; the ratio to one check at a time is per round,
and its median is the verdict. A warm-up verification comes first and is not reported.
"""

from __future__ import annotations

import importlib.util
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import boto3

from compliance.bench.local_account import CREDENTIALS, REGION, deploy, moto_server
from compliance.live.account import LiveAccount
from compliance.live.verify import verify
from compliance.preview.analyzer import PolicyPackProcess
from compliance.preview.offline import run_program
from compliance.preview.policy_config import load_policy_config

CONCURRENCY = (1, 4, 8, 16)


@dataclass(frozen=True)
class Timing:
    concurrency: int
    seconds: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


def run_verify_benchmark(
    project_dir: Path, pack_dir: Path, policy_config: Path | None, *, rounds: int, out: TextIO
) -> None:
    graph = run_program(project_dir, "prod").graph
    with PolicyPackProcess(pack_dir, project=graph.project, stack=graph.stack) as process:
        pack = process.info()
    config = load_policy_config(policy_config, pack)
    with tempfile.TemporaryFile() as log, moto_server(log) as url:
        session = boto3.session.Session(
            region_name=REGION,
            aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            aws_session_token=CREDENTIALS["AWS_SESSION_TOKEN"],
        )
        deployed = deploy(graph, session, endpoint_url=url)

        def timed(concurrency: int) -> float:
            account = LiveAccount(
                REGION, endpoint_url=url, concurrency=concurrency, session=session
            )
            started = time.perf_counter()
            verify(deployed, account, pack, config, concurrency=concurrency)
            return time.perf_counter() - started

        timed(8)  # warm-up: clients, connections, the endpoint's first answers
        samples: dict[int, list[float]] = {c: [] for c in CONCURRENCY}
        for _ in range(rounds):
            for concurrency in CONCURRENCY:
                samples[concurrency].append(timed(concurrency))
        checks = verify(
            deployed, LiveAccount(REGION, endpoint_url=url, session=session), pack, config
        ).checks
    report([Timing(c, tuple(s)) for c, s in samples.items()], checks, rounds, out)


def report(timings: Sequence[Timing], checks: int, rounds: int, out: TextIO) -> None:
    serial = timings[0]
    print(
        f"\nLive verification of the prod stack ({checks} checks) against a moto server on "
        f"127.0.0.1; {rounds} round(s), medians",
        file=out,
    )
    print(f"{'in flight':>10}{'seconds':>10}{'vs 1':>8}", file=out)
    for timing in timings:
        ratios = [s / base for s, base in zip(timing.seconds, serial.seconds, strict=True)]
        print(
            f"{timing.concurrency:>10}{timing.median:>10.2f}{statistics.median(ratios):>8.2f}",
            file=out,
        )
    print(bytecode_note(), file=out)


def bytecode_note() -> str:
    """Whether the measured code ran from bytecode caches (timed in this process, after import:
    the caches change start-up, not the calls)."""
    source = verify.__code__.co_filename
    cached = Path(importlib.util.cache_from_source(source)).is_file()
    writes = "off" if sys.dont_write_bytecode else "on"
    return (
        f"bytecode: a cache {'existed' if cached else 'did not exist'} for {Path(source).name} "
        f"(writing caches {writes}); imports are done before the clock starts"
    )
