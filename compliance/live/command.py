"""`python -m compliance verify`: the deployed stack checked live against the pack's controls.

Exit 1 when a mandatory control fails live, 0 otherwise; 2 with one line when the export, the
outputs file, the credentials or the endpoint are unusable (nothing is written).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from typing import TextIO

from compliance import arguments
from compliance.live.account import LiveAccount
from compliance.live.verify import LiveRun, VerifyInputError, check_outputs, stack_region, verify
from compliance.model.files import read_json
from compliance.model.findings import Outcome
from compliance.model.graph import ResourceGraph
from compliance.model.pack import PackInfo
from compliance.preview.analyzer import PolicyPackProcess
from compliance.preview.policy_config import PolicyConfigEntry, load_policy_config

HELP = "verify the deployed stack live (boto3, read-only) against the policy pack's controls"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    arguments.add_state_argument(parser, required=True)
    arguments.add_stack_arguments(parser)
    arguments.add_policy_pack_arguments(parser)
    arguments.add_live_arguments(parser)


def run(args: argparse.Namespace) -> int:
    graph = ResourceGraph.load(args.state)
    with PolicyPackProcess(arguments.pack_dir(args), project=graph.project, stack=graph.stack) as p:
        pack = p.info()
    config = load_policy_config(arguments.policy_config(args), pack)
    live = run_live(args, graph, pack, config)
    report(live, graph, sys.stdout)
    return 1 if any(f.blocks for f in live.findings) else 0


def run_live(
    args: argparse.Namespace,
    graph: ResourceGraph,
    pack: PackInfo,
    config: Mapping[str, PolicyConfigEntry],
) -> LiveRun:
    """The live verification the arguments ask for (`verify`, `audit --live`)."""
    if args.outputs is not None:
        outputs = read_json(args.outputs, VerifyInputError)
        if not isinstance(outputs, dict):
            raise VerifyInputError(f"{args.outputs}: must be a JSON object of stack outputs")
        check_outputs(graph, outputs, str(args.outputs))
    account = LiveAccount(
        args.region or stack_region(graph),
        endpoint_url=args.endpoint_url,
        concurrency=args.concurrency,
    )
    return verify(graph, account, pack, config, concurrency=args.concurrency)


def report(live: LiveRun, graph: ResourceGraph, out: TextIO) -> None:
    counts: dict[str, int] = {}
    for finding in live.findings:
        counts[finding.outcome.value] = counts.get(finding.outcome.value, 0) + 1
    shown = ", ".join(f"{counts.get(o.value, 0)} {o.value}" for o in Outcome if o.value in counts)
    where = live.endpoint or "AWS"
    print(
        f"Verified {graph.project}/{graph.stack} live in account {live.identity.account}, "
        f"{live.region} ({where}), {live.verified_at:%Y-%m-%dT%H:%M:%SZ}: {live.checks} checks, "
        f"{shown or 'no findings'}",
        file=out,
    )
    for finding in live.findings:
        if finding.outcome in (Outcome.FAIL, Outcome.NOT_RUN):
            print(
                f"  - [{finding.outcome.value}/{finding.enforcement.value}] {finding.rule}: "
                f"{finding.message}",
                file=out,
            )
