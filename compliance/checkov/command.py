"""`python -m compliance checkov`: the stack's offline graph (or a state file) through checkov.

Exit code 1 when a check failed that no accepted risk covers, 0 otherwise.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from compliance.checkov.summary import render
from compliance.graph import ResourceGraph
from compliance.offline import run_program

HELP = "cross-check the stack with checkov (terraform_plan checks over the resource graph)"
DEFAULT_ACCEPTED_RISKS = Path("config/accepted-risks.yaml")
DEFAULT_STACK = "prod"
DEFAULT_BUILD_DIR = Path("build")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--state",
        type=Path,
        default=None,
        metavar="FILE",
        help="a `pulumi stack export` document (default: run the program offline)",
    )
    parser.add_argument("--stack", default=DEFAULT_STACK)
    parser.add_argument("--project-dir", type=Path, default=Path("."), metavar="DIR")
    parser.add_argument(
        "--accepted-risks", type=Path, default=DEFAULT_ACCEPTED_RISKS, metavar="FILE"
    )
    parser.add_argument(
        "--build-dir",
        type=Path,
        default=DEFAULT_BUILD_DIR,
        metavar="DIR",
        help="where the Terraform plan is written (checkov/<stack>/plan.json)",
    )


def run(args: argparse.Namespace) -> int:
    # checkov loads only for this command: it takes seconds to import.
    from compliance.checkov.run import run_checkov  # noqa: PLC0415

    if args.state is not None:
        graph, source = ResourceGraph.load(args.state), str(args.state)
    else:
        graph = run_program(args.project_dir, args.stack).graph
        source = f"the {args.stack} stack (offline preview)"
    plan_file = args.build_dir / "checkov" / (graph.stack or args.stack) / "plan.json"
    result = run_checkov(graph, args.accepted_risks, plan_file=plan_file)
    render(result, source, sys.stdout)
    print(f"\nTerraform plan: {plan_file}", file=sys.stdout)
    return 1 if result.failed else 0
