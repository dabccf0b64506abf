"""`python -m compliance deploy`: `pulumi up` with the policy pack once the offline preview and the
region check pass, then the deployed stack verified live.

After a successful `pulumi up`, the CLI exports the stack into `<build>/deploy/<stack>/
stack-export.json` and the live engine checks it against the pack's policies; a mandatory control
failing live fails the deploy (exit 1), though the deployment itself stays: it is what runs.
`--skip-verify` stops after `pulumi up`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from compliance import arguments
from compliance.live import command as live_command
from compliance.model.graph import ResourceGraph
from compliance.preview import command as preview_command
from compliance.preview.analyzer import PolicyPackProcess
from compliance.preview.policy_config import load_policy_config

HELP = (
    "`pulumi up` with the policy pack, once the offline preview and region check pass; then "
    "the deployed stack verified live"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    preview_command.add_deploy_arguments(parser)
    parser.add_argument(
        "--skip-verify",
        action="store_true",
        help="do not verify the deployed stack live after `pulumi up`",
    )
    arguments.add_live_arguments(parser)


def export_path(args: argparse.Namespace) -> Path:
    build_dir: Path = args.build_dir
    stack: str = args.stack
    return build_dir / "deploy" / stack / "stack-export.json"


def run(args: argparse.Namespace) -> int:
    exported = None if args.skip_verify else export_path(args)
    code = preview_command.run_deploy(args, export_to=exported)
    if code != 0 or exported is None:
        return code
    graph = ResourceGraph.load(exported)
    with PolicyPackProcess(arguments.pack_dir(args), project=graph.project, stack=graph.stack) as p:
        pack = p.info()
    config = load_policy_config(arguments.policy_config(args), pack)
    live = live_command.run_live(args, graph, pack, config)
    live_command.report(live, graph, sys.stdout)
    return 1 if any(f.blocks for f in live.findings) else 0
