"""`python -m compliance checkov`: the stack's offline graph (or a state file) through checkov.

Exit code 1 when a check failed that no accepted risk covers, 0 otherwise.
"""

from __future__ import annotations

import argparse
import sys

from compliance import arguments
from compliance.checkov.scan import start
from compliance.model.graph import ResourceGraph

HELP = "cross-check the stack with checkov (terraform_plan checks over the resource graph)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    arguments.add_state_argument(parser)
    arguments.add_stack_arguments(parser)
    arguments.add_accepted_risks_argument(parser)
    arguments.add_checkov_argument(parser)
    arguments.add_build_dir_argument(parser)


def run(args: argparse.Namespace) -> int:
    start(args.checkov)  # checkov loads in its own process while the program runs
    # The engines are imported only now, after checkov has started.
    from compliance.checkov.run import run_checkov  # noqa: PLC0415
    from compliance.checkov.summary import render  # noqa: PLC0415
    from compliance.preview.offline import run_program  # noqa: PLC0415

    if args.state is not None:
        graph, source = ResourceGraph.load(args.state), str(args.state)
    else:
        graph = run_program(args.project_dir, args.stack).graph
        source = f"the {args.stack} stack (offline preview)"
    plan_file = arguments.checkov_plan_file(args, graph)
    result = run_checkov(
        graph, arguments.accepted_risks(args), plan_file=plan_file, checkov=args.checkov
    )
    render(result, source, sys.stdout)
    print(f"\nTerraform plan: {plan_file}", file=sys.stdout)
    return 1 if result.failed else 0
