"""`python -m compliance audit`: preview (or a state file), checkov, then the four report files.

Exit code 1 when a failure `--fail-on` counts is found (by default: a mandatory one), 0 otherwise.
checkov starts first, in its own process, before the engines are even imported (the command line
imports no engine to build its parser), so its load overlaps all of the preview.
"""

from __future__ import annotations

import argparse
import sys
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from compliance import arguments
from compliance.audit.model import AuditReport, FailOn
from compliance.audit.summary import append_summary, check_summary_file, render_summary
from compliance.checkov.scan import start as start_checkov
from compliance.model.errors import UserError

if TYPE_CHECKING:
    from compliance.audit.writer import ReportFolder
    from compliance.checkov.run import CheckovRun
    from compliance.model.graph import ResourceGraph
    from compliance.preview.run import PreviewResult


class LiveNeedsStateError(UserError):
    """`--live` without the deployed stack's export to verify."""


HELP = "audit the stack: policy pack and checkov findings, control by control, into reports/"
DEFAULT_OUT = Path("reports")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    arguments.add_state_argument(parser)
    arguments.add_stack_arguments(parser)
    arguments.add_policy_pack_arguments(parser)
    arguments.add_accepted_risks_argument(parser)
    arguments.add_checkov_argument(parser)
    arguments.add_build_dir_argument(parser)
    parser.add_argument(
        "--live",
        action="store_true",
        help="also verify the deployed stack of --state live (boto3, read-only): findings of the "
        "live engine, drift included",
    )
    arguments.add_live_arguments(parser)
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, metavar="DIR", help="where the reports go"
    )
    parser.add_argument(
        "--summary",
        type=Path,
        metavar="FILE",
        help="also append the verdict as Markdown to FILE (a CI job summary: $GITHUB_STEP_SUMMARY)",
    )
    parser.add_argument(
        "--fail-on",
        type=FailOn,
        choices=list(FailOn),
        default=FailOn.MANDATORY,
        help="exit 1 on failed mandatory findings (default), on any failed finding, or never",
    )


def run(args: argparse.Namespace) -> int:
    if args.live and args.state is None:
        raise LiveNeedsStateError(
            "--live verifies a deployed stack: give its `pulumi stack export` with --state FILE"
        )
    if args.summary is not None:
        check_summary_file(args.summary)
    start_checkov(args.checkov)  # checkov loads in its own process while the preview runs
    # The engines are imported only now, after checkov has started.
    from compliance.audit.writer import ReportFolder  # noqa: PLC0415

    # Locked and checked before the analysis: a folder that cannot take the reports, or that
    # another audit is writing, stops the run now, not after it.
    with ReportFolder(args.out) as folder:
        return _audit(args, folder)


def _audit(args: argparse.Namespace, folder: ReportFolder) -> int:
    from compliance.audit.disagreements import find_disagreements  # noqa: PLC0415
    from compliance.audit.model import AuditInputs, build_report  # noqa: PLC0415
    from compliance.audit.provenance import (  # noqa: PLC0415
        LiveVerification,
        PackId,
        collect_provenance,
        utc_timestamp,
    )
    from compliance.checkov.run import run_checkov  # noqa: PLC0415
    from compliance.live.command import run_live  # noqa: PLC0415
    from compliance.preview.policy_config import load_policy_config  # noqa: PLC0415
    from compliance.preview.project import stack_config_path  # noqa: PLC0415
    from compliance.preview.run import analyze_state, preview  # noqa: PLC0415

    project_dir: Path = args.project_dir
    pack_dir = arguments.pack_dir(args)
    policy_config = arguments.policy_config(args)
    result: PreviewResult
    scans: list[Future[CheckovRun]] = []
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="checkov") as pool:

        def scan(graph: ResourceGraph) -> None:
            """checkov scans the graph the moment it exists, while the pack still finishes."""
            scans.append(
                pool.submit(
                    run_checkov,
                    graph,
                    arguments.accepted_risks(args),
                    plan_file=arguments.checkov_plan_file(args, graph),
                    checkov=args.checkov,
                )
            )

        if args.state is not None:
            result = analyze_state(
                args.state, pack_dir, policy_config, args.build_dir, on_graph=scan
            )
            stack_config = None
        else:
            result = preview(
                project_dir,
                args.stack,
                policy_config,
                args.build_dir,
                pack_dir=pack_dir,
                on_graph=scan,
            )
            stack_config = stack_config_path(project_dir, args.stack)
        checkov = scans[0].result()
    graph = result.graph
    pack = result.policy.pack
    findings = [*result.policy.findings, *checkov.findings]
    live = None
    if args.live:
        verified = run_live(args, graph, pack, load_policy_config(policy_config, pack))
        findings += verified.findings
        live = LiveVerification(
            verified_at=utc_timestamp(verified.verified_at),
            account=verified.identity.account,
            region=verified.region,
            endpoint=verified.endpoint,
        )
    provenance = collect_provenance(
        graph=graph,
        mode=result.mode,
        project_dir=project_dir,
        stack_config=stack_config,
        state_file=args.state,
        policy_config=policy_config,
        policy_pack=PackId(pack.name, pack.version, pack.environment),
        checkov_version=checkov.checkov_version,
        now=datetime.now(UTC),
        live=live,
    )
    inputs = AuditInputs(
        graph,
        findings,
        pack,
        find_disagreements(findings),
        project_dir,
        checkov_skipped=frozenset(ref.urn for ref in checkov.skipped),
    )
    report = build_report(inputs, provenance)
    written = folder.write(report, inputs.secrets)
    if args.summary is not None:
        append_summary(args.summary, render_summary(report, args.fail_on, written), inputs.secrets)
    summarize(report, written, args.fail_on, sys.stdout)
    return 1 if report.failed(args.fail_on) else 0


def summarize(report: AuditReport, written: list[Path], fail_on: FailOn, out: TextIO) -> None:
    counts = ", ".join(f"{n} {status}" for status, n in report.status_counts().items() if n)
    print(
        f"Audit of {report.provenance.project}/{report.provenance.stack} "
        f"({report.provenance.mode}): {len(report.controls)} controls: {counts}",
        file=out,
    )
    for reported in report.failed(fail_on):
        finding = reported.finding
        where = f" {finding.resource.name}" if finding.resource else ""
        print(
            f"  - [{finding.enforcement.value}] {finding.source.value}/{finding.rule}{where}: "
            f"{finding.message.splitlines()[0] if finding.message else ''}",
            file=out,
        )
    for path in written:
        print(f"Wrote {path}", file=out)
