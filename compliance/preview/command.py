"""`python -m compliance preview | policy`, and the `pulumi up` behind `deploy`: the preview
engine's commands.

`preview` runs `pulumi preview --policy-pack` when the CLI is installed, the offline preview
otherwise; `policy` analyzes a deployed stack's `pulumi stack export`; `deploy` runs `pulumi up`
once the offline preview and the region check pass. Each exits 1 on a mandatory violation. The
engine is imported when a command runs, not when the command line builds its parser.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from compliance import arguments

if TYPE_CHECKING:
    from compliance.preview import pulumi_cli
    from compliance.preview.run import PreviewResult

PREVIEW_HELP = (
    "preview the stack with the policy pack (Pulumi CLI when installed, offline otherwise)"
)
POLICY_HELP = "run the policy pack over a deployed stack's `pulumi stack export` document"


def add_preview_arguments(parser: argparse.ArgumentParser) -> None:
    arguments.add_stack_arguments(parser)
    _add_pack_arguments(parser)
    parser.add_argument(
        "--offline",
        action="store_true",
        help="preview offline even when the Pulumi CLI is installed",
    )


def add_policy_arguments(parser: argparse.ArgumentParser) -> None:
    arguments.add_state_argument(parser, required=True)
    _add_pack_arguments(parser)
    parser.set_defaults(project_dir=arguments.DEFAULT_PROJECT_DIR, stack=arguments.DEFAULT_STACK)


def add_deploy_arguments(parser: argparse.ArgumentParser) -> None:
    arguments.add_stack_arguments(parser)
    _add_pack_arguments(parser)
    parser.add_argument(
        "--yes", action="store_true", help="pass --yes to `pulumi up` (no confirmation prompt)"
    )


def run_preview(args: argparse.Namespace) -> int:
    from compliance.preview import pulumi_cli  # noqa: PLC0415
    from compliance.preview.run import MODE_DESCRIPTIONS  # noqa: PLC0415

    executable = None if args.offline else pulumi_cli.find_pulumi()
    if executable is not None:
        print(f"Mode: {MODE_DESCRIPTIONS['cli']}", flush=True)
        invocation = pulumi_cli.preview_invocation(executable, _target(args), os.environ)
        return pulumi_cli.run(invocation)
    return _offline_preview(args).exit_code


def run_policy(args: argparse.Namespace) -> int:
    from compliance.preview.run import analyze_state, render  # noqa: PLC0415

    result = analyze_state(
        args.state, arguments.pack_dir(args), arguments.policy_config(args), args.build_dir
    )
    render(result, sys.stdout)
    return result.exit_code


def run_deploy(args: argparse.Namespace, *, export_to: Path | None = None) -> int:
    """`pulumi up` (then `pulumi stack export` into `export_to`, when given)."""
    from compliance.preview import pulumi_cli  # noqa: PLC0415

    executable = pulumi_cli.require_pulumi("deploy")
    target = _target(args)
    # Built first: a backend the CLI cannot use (no passphrase) stops the run before the preview.
    invocation = pulumi_cli.up_invocation(
        executable, target, os.environ, yes=args.yes, export_to=export_to
    )
    pulumi_cli.check_deployable(target, _offline_preview(args).policy)
    return pulumi_cli.run(invocation)


def _add_pack_arguments(parser: argparse.ArgumentParser) -> None:
    arguments.add_policy_pack_arguments(parser)
    arguments.add_build_dir_argument(parser)


def _target(args: argparse.Namespace) -> pulumi_cli.StackTarget:
    from compliance.preview import pulumi_cli  # noqa: PLC0415

    return pulumi_cli.StackTarget(
        args.project_dir, args.stack, arguments.pack_dir(args), arguments.policy_config(args)
    )


def _offline_preview(args: argparse.Namespace) -> PreviewResult:
    from compliance.preview.run import preview, render  # noqa: PLC0415

    result = preview(
        args.project_dir,
        args.stack,
        arguments.policy_config(args),
        args.build_dir,
        pack_dir=arguments.pack_dir(args),
    )
    render(result, sys.stdout)
    return result
