"""The arguments the commands share: each added by one function, with its default, and read back
into the paths the commands use.

Paths a command finds in the project (the policy pack, the accepted risks) default to their place
under `--project-dir`; paths it writes (`--build-dir`) are relative to where it runs.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from compliance.model.errors import GraphError
from compliance.model.files import contained
from compliance.model.graph import ResourceGraph

DEFAULT_STACK = "prod"
DEFAULT_PROJECT_DIR = Path(".")
DEFAULT_PACK_DIR = Path("policy_pack")
DEFAULT_ACCEPTED_RISKS = Path("config/accepted-risks.yaml")
DEFAULT_BUILD_DIR = Path("build")


def add_project_dir_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--project-dir",
        type=Path,
        default=DEFAULT_PROJECT_DIR,
        metavar="DIR",
        help="the Pulumi project (default: the current directory)",
    )


def add_stack_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--stack", default=DEFAULT_STACK, help=f"the stack (default: {DEFAULT_STACK})"
    )
    add_project_dir_argument(parser)


def add_state_argument(parser: argparse.ArgumentParser, *, required: bool = False) -> None:
    what = "a deployed stack's `pulumi stack export` document"
    parser.add_argument(
        "--state",
        type=Path,
        required=required,
        default=None,
        metavar="FILE",
        help=what if required else f"{what} (default: run the stack's program offline)",
    )


def add_policy_pack_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--policy-pack",
        type=Path,
        default=None,
        metavar="DIR",
        help=f"the policy pack (default: {DEFAULT_PACK_DIR} in the project directory)",
    )
    parser.add_argument(
        "--policy-pack-config",
        type=Path,
        default=None,
        metavar="FILE",
        help="policy config JSON (default: <policy pack>/config.<stack>.json when it exists)",
    )


def add_accepted_risks_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--accepted-risks",
        type=Path,
        default=None,
        metavar="FILE",
        help=f"checkov accepted risks (default: {DEFAULT_ACCEPTED_RISKS} in the project directory)",
    )


def add_checkov_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--checkov",
        type=Path,
        default=None,
        metavar="PATH",
        help="the checkov to scan with: a checkov executable or a Python that has checkov "
        "(default: checkov's own pinned environment, built with uv)",
    )


def add_build_dir_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--build-dir",
        type=Path,
        default=DEFAULT_BUILD_DIR,
        metavar="DIR",
        help=f"where the run's files are written (default: {DEFAULT_BUILD_DIR})",
    )


def pack_dir(args: argparse.Namespace) -> Path:
    given: Path | None = args.policy_pack
    return given or args.project_dir / DEFAULT_PACK_DIR


def policy_config(args: argparse.Namespace) -> Path | None:
    """`--policy-pack-config`, else the pack's `config.<stack>.json` when there is one."""
    given: Path | None = args.policy_pack_config
    if given is not None:
        return given
    path = pack_dir(args) / f"config.{args.stack}.json"
    return path if path.is_file() else None


def accepted_risks(args: argparse.Namespace) -> Path:
    given: Path | None = args.accepted_risks
    return given or args.project_dir / DEFAULT_ACCEPTED_RISKS


def checkov_plan_file(args: argparse.Namespace, graph: ResourceGraph) -> Path:
    """Where the Terraform plan checkov scans is kept: `<build>/checkov/<stack>/plan.json`."""
    build_dir: Path = args.build_dir
    plan = build_dir / "checkov" / (graph.stack or args.stack) / "plan.json"
    return contained(plan, build_dir, GraphError)


def add_live_arguments(parser: argparse.ArgumentParser) -> None:
    """Where and how the live engine reads the deployed stack."""
    parser.add_argument(
        "--outputs",
        type=Path,
        default=None,
        metavar="FILE",
        help="the stack's `pulumi stack output --json`, checked to be the export's stack",
    )
    parser.add_argument(
        "--region",
        default=None,
        help="the region to verify in (default: the export's AWS provider region)",
    )
    parser.add_argument(
        "--endpoint-url",
        default=None,
        metavar="URL",
        help="an AWS API endpoint other than AWS's own (default: boto3's, AWS_ENDPOINT_URL)",
    )
    parser.add_argument(
        "--concurrency",
        type=_positive,
        default=8,
        metavar="N",
        help="read-only calls in flight at once (default: 8)",
    )


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= value <= 64:
        raise argparse.ArgumentTypeError(f"{value} is not between 1 and 64")
    return value
