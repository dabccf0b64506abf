"""`python -m compliance <command>`: the one entry point nox, CI and people share.

Each command is one entry in `COMMANDS`: its help, how it adds its arguments, and what it runs;
each lives with its engine (`compliance.preview`, `compliance.checkov`, `compliance.audit`,
`compliance.bench`). A user's mistake (`UserError`) ends the run with one line on stderr and exit
code 2; an installed SDK that broke a contract the tooling relies on (`SdkContractError`) with one
line naming the SDK version and exit code 3; `--debug` adds the traceback of what caused either.
Anything else is a bug: its traceback, a line saying so, and exit code 1.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from compliance import deploy as deploy_command
from compliance.audit import command as audit_command
from compliance.audit import coverage_command
from compliance.bench import command as bench_command
from compliance.checkov import command as checkov_command
from compliance.live import command as live_command
from compliance.model.errors import SDK_CONTRACT_EXIT, USER_ERROR_EXIT, SdkContractError, UserError
from compliance.preview import command as preview_command

BROKEN_PIPE_EXIT = 128 + signal.SIGPIPE
BUG_EXIT = 1
BUG_MESSAGE = (
    "error: this is a bug in payment-stack, not a mistake in your input: please report it "
    "with the traceback above and the command you ran"
)


@dataclass(frozen=True)
class Command:
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code = COMMANDS[args.command].run(args)
        sys.stdout.flush()
        return code
    except UserError as error:
        _report(error, debug=args.debug)
        return USER_ERROR_EXIT
    except SdkContractError as error:
        _report(error, debug=args.debug)
        return SDK_CONTRACT_EXIT
    except BrokenPipeError:
        # The reader left early (`| head`): stop as a shell tool does, and keep the interpreter's
        # final flush from failing on the closed pipe.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return BROKEN_PIPE_EXIT
    except Exception:
        # Not the user's input: our code or a library failed. The traceback is the report.
        traceback.print_exc(file=sys.stderr)
        print(BUG_MESSAGE, file=sys.stderr)
        return BUG_EXIT


def _report(error: Exception, *, debug: bool) -> None:
    if debug and error.__cause__ is not None:
        traceback.print_exception(error.__cause__, file=sys.stderr)
    print(f"error: {error}", file=sys.stderr)


def build_parser() -> argparse.ArgumentParser:
    """Every command and its options: what `main` parses, and what CI workflows are checked
    against."""
    parser = argparse.ArgumentParser(prog="python -m compliance", description=__doc__)
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name, command in COMMANDS.items():
        subparser = subparsers.add_parser(name, help=command.help, description=command.help)
        subparser.add_argument(
            "--debug", action="store_true", help="show the traceback behind an error"
        )
        command.add_arguments(subparser)
    return parser


COMMANDS: dict[str, Command] = {
    "preview": Command(
        preview_command.PREVIEW_HELP,
        preview_command.add_preview_arguments,
        preview_command.run_preview,
    ),
    "policy": Command(
        preview_command.POLICY_HELP,
        preview_command.add_policy_arguments,
        preview_command.run_policy,
    ),
    "deploy": Command(deploy_command.HELP, deploy_command.add_arguments, deploy_command.run),
    "bench": Command(bench_command.HELP, bench_command.add_arguments, bench_command.run),
    "checkov": Command(checkov_command.HELP, checkov_command.add_arguments, checkov_command.run),
    "verify": Command(live_command.HELP, live_command.add_arguments, live_command.run),
    "audit": Command(audit_command.HELP, audit_command.add_arguments, audit_command.run),
    "coverage": Command(
        coverage_command.HELP, coverage_command.add_arguments, coverage_command.run
    ),
}
