"""`python -m compliance <command>`: the one entry point nox, CI and people share.

Each command is one entry in `COMMANDS`: its help, how it adds its arguments, and what it runs.
A user's mistake (`UserError`) ends the run with one line on stderr and exit code 2; `--debug`
adds the traceback of what caused it.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from compliance import arguments, pulumi_cli
from compliance.audit import command as audit_command
from compliance.checkov import command as checkov_command
from compliance.errors import USER_ERROR_EXIT, UserError
from compliance.preview import MODE_DESCRIPTIONS, PreviewResult, analyze_state, preview, render

BROKEN_PIPE_EXIT = 128 + signal.SIGPIPE


@dataclass(frozen=True)
class Command:
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        code = COMMANDS[args.command].run(args)
        sys.stdout.flush()
        return code
    except UserError as error:
        if args.debug and error.__cause__ is not None:
            traceback.print_exception(error.__cause__, file=sys.stderr)
        print(f"error: {error}", file=sys.stderr)
        return USER_ERROR_EXIT
    except BrokenPipeError:
        # The reader left early (`| head`): stop as a shell tool does, and keep the interpreter's
        # final flush from failing on the closed pipe.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return BROKEN_PIPE_EXIT


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m compliance", description=__doc__)
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name, command in COMMANDS.items():
        subparser = subparsers.add_parser(name, help=command.help, description=command.help)
        subparser.add_argument(
            "--debug", action="store_true", help="show the traceback behind an error"
        )
        command.add_arguments(subparser)
    return parser


def _preview_arguments(parser: argparse.ArgumentParser) -> None:
    arguments.add_stack_arguments(parser)
    _pack_arguments(parser)
    parser.add_argument(
        "--offline",
        action="store_true",
        help="preview offline even when the Pulumi CLI is installed",
    )


def _policy_arguments(parser: argparse.ArgumentParser) -> None:
    arguments.add_state_argument(parser, required=True)
    _pack_arguments(parser)
    parser.set_defaults(project_dir=arguments.DEFAULT_PROJECT_DIR, stack=arguments.DEFAULT_STACK)


def _deploy_arguments(parser: argparse.ArgumentParser) -> None:
    arguments.add_stack_arguments(parser)
    _pack_arguments(parser)
    parser.add_argument(
        "--yes", action="store_true", help="pass --yes to `pulumi up` (no confirmation prompt)"
    )


def _bench_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--sizes",
        type=_sizes,
        default="100,500,1000,5000",
        help="comma-separated inventory sizes (resources) to time besides the stack itself",
    )
    parser.add_argument(
        "--repeat", type=_positive, default=1, help="runs per size; the best is kept"
    )
    arguments.add_project_dir_argument(parser)
    # No --build-dir: each measured preview writes its files to a folder of its own, then drops it.
    arguments.add_policy_pack_arguments(parser)
    parser.set_defaults(stack=arguments.DEFAULT_STACK)


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


def _pack_arguments(parser: argparse.ArgumentParser) -> None:
    arguments.add_policy_pack_arguments(parser)
    arguments.add_build_dir_argument(parser)


def _target(args: argparse.Namespace) -> pulumi_cli.StackTarget:
    return pulumi_cli.StackTarget(
        args.project_dir, args.stack, arguments.pack_dir(args), arguments.policy_config(args)
    )


def _run_preview(args: argparse.Namespace) -> int:
    executable = None if args.offline else pulumi_cli.find_pulumi()
    if executable is not None:
        print(f"Mode: {MODE_DESCRIPTIONS['cli']}", flush=True)
        invocation = pulumi_cli.preview_invocation(executable, _target(args), os.environ)
        return pulumi_cli.run(invocation)
    return _offline_preview(args).exit_code


def _offline_preview(args: argparse.Namespace) -> PreviewResult:
    result = preview(
        args.project_dir,
        args.stack,
        arguments.policy_config(args),
        args.build_dir,
        pack_dir=arguments.pack_dir(args),
    )
    render(result, sys.stdout)
    return result


def _run_policy(args: argparse.Namespace) -> int:
    result = analyze_state(
        args.state, arguments.pack_dir(args), arguments.policy_config(args), args.build_dir
    )
    render(result, sys.stdout)
    return result.exit_code


def _run_deploy(args: argparse.Namespace) -> int:
    executable = pulumi_cli.require_pulumi("deploy")
    target = _target(args)
    # Built first: a backend the CLI cannot use (no passphrase) stops the run before the preview.
    invocation = pulumi_cli.up_invocation(executable, target, os.environ, yes=args.yes)
    pulumi_cli.check_deployable(target, _offline_preview(args).policy)
    return pulumi_cli.run(invocation)


def _run_bench(args: argparse.Namespace) -> int:
    # The benchmarks live beside the package, not in it: importable from the project root only.
    from benchmarks.preview_bench import run_benchmark  # noqa: PLC0415

    return run_benchmark(
        args.project_dir,
        arguments.pack_dir(args),
        arguments.policy_config(args),
        sizes=args.sizes,
        repeat=args.repeat,
        out=sys.stdout,
    )


COMMANDS: dict[str, Command] = {
    "preview": Command(
        "preview the stack with the policy pack (Pulumi CLI when installed, offline otherwise)",
        _preview_arguments,
        _run_preview,
    ),
    "policy": Command(
        "run the policy pack over a deployed stack's `pulumi stack export` document",
        _policy_arguments,
        _run_policy,
    ),
    "deploy": Command(
        "`pulumi up` with the policy pack, once the offline preview and region check pass",
        _deploy_arguments,
        _run_deploy,
    ),
    "bench": Command(
        "time the offline preview with policies on the stack and on synthetic inventories",
        _bench_arguments,
        _run_bench,
    ),
    "checkov": Command(checkov_command.HELP, checkov_command.add_arguments, checkov_command.run),
    "audit": Command(audit_command.HELP, audit_command.add_arguments, audit_command.run),
}
