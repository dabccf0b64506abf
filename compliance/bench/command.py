"""`python -m compliance bench`: the payment functions' card-number scan at two sizes; the offline
preview on the stack and larger inventories, then the audit against checkov alone, each with and
without `PYTHONDONTWRITEBYTECODE=1`; then the live verification against a local AWS API endpoint
at several concurrencies."""

from __future__ import annotations

import argparse
import sys

from compliance import arguments
from compliance.bench.audit import run_audit_benchmark
from compliance.bench.card_scan import run_card_scan_benchmark
from compliance.bench.preview import run_benchmark
from compliance.bench.verify import run_verify_benchmark

HELP = (
    "time the card-number scan, the offline preview on the stack and synthetic inventories, the "
    "audit against checkov alone, and the live verification against a local endpoint"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--sizes",
        type=_sizes,
        default="500,2000",
        help="comma-separated inventory sizes (resources) to time besides the stack itself",
    )
    parser.add_argument(
        "--repeat", type=_positive, default=1, help="runs per size; the best is kept"
    )
    parser.add_argument(
        "--scan-repeat",
        type=_positive,
        default=3,
        help="scans of each text at each size in the card-number benchmark; the best is kept",
    )
    parser.add_argument(
        "--pairs",
        type=_positive,
        default=3,
        help="audit / checkov pairs per bytecode setting",
    )
    parser.add_argument(
        "--rounds",
        type=_positive,
        default=3,
        help="rounds of the live verification, each at every concurrency in turn",
    )
    arguments.add_project_dir_argument(parser)
    # No --build-dir: each measured preview writes its files to a folder of its own, then drops it.
    arguments.add_policy_pack_arguments(parser)
    parser.set_defaults(stack=arguments.DEFAULT_STACK)


def run(args: argparse.Namespace) -> int:
    pack_dir, policy_config = arguments.pack_dir(args), arguments.policy_config(args)
    run_card_scan_benchmark(repeat=args.scan_repeat, out=sys.stdout)
    sys.stdout.flush()
    run_benchmark(
        args.project_dir,
        pack_dir,
        policy_config,
        sizes=args.sizes,
        repeat=args.repeat,
        out=sys.stdout,
    )
    sys.stdout.flush()
    run_audit_benchmark(
        args.project_dir.resolve(), pack_dir, policy_config, pairs=args.pairs, out=sys.stdout
    )
    sys.stdout.flush()
    run_verify_benchmark(
        args.project_dir, pack_dir, policy_config, rounds=args.rounds, out=sys.stdout
    )
    return 0


def _positive(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return number


def _sizes(text: str) -> list[int]:
    """`--sizes`: resource counts separated by commas, each a whole number of at least 1."""
    sizes = [_positive(size.strip()) for size in text.split(",") if size.strip()]
    if not sizes:
        raise argparse.ArgumentTypeError("expected resource counts separated by commas, got none")
    return sizes
