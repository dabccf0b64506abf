"""Preview a stack with the policy pack, and print it as `pulumi preview --policy-pack` does.

Two ways in, one analysis: `preview` runs the program offline (`compliance.preview.offline`) and
`analyze_state` reads a `pulumi stack export` document of a deployed stack; both drive the policy
pack through `compliance.preview.policy_findings` and write the resource graph and the engine
events under `<build>/preview/<stack>/`.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal, TextIO

from compliance.model.errors import UserError
from compliance.model.files import contained
from compliance.model.findings import Enforcement, Outcome, redact
from compliance.model.graph import GraphResource, ResourceGraph
from compliance.model.secrets import scrub, secret_values
from compliance.preview.analyzer import PolicyPackProcess
from compliance.preview.events import summary_event, write_event_log
from compliance.preview.offline import ProgramMessage, run_program
from compliance.preview.policy_findings import BackgroundAnalysis, PolicyRun, analyze_graph
from compliance.preview.project import load_project

Mode = Literal["offline", "cli", "state"]

MODE_DESCRIPTIONS: dict[Mode, str] = {
    "offline": "offline: the program ran under Pulumi's mocks, the policy pack over its "
    "analyzer protocol",
    "cli": "Pulumi CLI: pulumi preview --policy-pack",
    "state": "state file: a `pulumi stack export` document, analyzed without its program",
}


class BuildDirError(UserError):
    """The build folder cannot hold the run's files (not a folder, no permission, disk full)."""


@dataclass(frozen=True)
class PreviewResult:
    mode: Mode
    graph: ResourceGraph
    policy: PolicyRun
    source: str
    """What was analyzed: the stack's name, or the state file's path."""
    messages: tuple[ProgramMessage, ...] = ()
    """What the program logged while it ran (offline mode)."""

    @property
    def outputs(self) -> dict[str, Any]:
        return self.graph.outputs

    @property
    def exit_code(self) -> int:
        """1 when a mandatory policy is violated, as `pulumi preview` fails; 0 otherwise."""
        return 1 if self.policy.blocking else 0


def preview(
    project_dir: Path,
    stack: str,
    policy_config: Path | None,
    build_dir: Path,
    *,
    pack_dir: Path,
    on_graph: Callable[[ResourceGraph], None] | None = None,
) -> PreviewResult:
    """A first preview of `stack`, offline, with the policy pack.

    As with the CLI, the pack starts before the program runs and analyzes each resource as the
    program registers it: the pack's start-up and work overlap the program's. `on_graph` is given
    the resource graph as soon as the program is done, while the pack still finishes.
    """
    project = load_project(project_dir.resolve())
    # Absolute: the program runs in its own directory while the pack's thread reads these.
    pack = PolicyPackProcess(pack_dir.resolve(), project=project.name, stack=stack)
    policy_config = policy_config.resolve() if policy_config else None
    with ExitStack() as running:
        running.callback(pack.stop)
        analysis = BackgroundAnalysis(pack, policy_config)
        running.callback(analysis.close)
        run = run_program(project_dir, stack, on_register=analysis.submit)
        if on_graph is not None:
            on_graph(run.graph)
        policy = analysis.session().finish(run.graph)
    result = _scrubbed(PreviewResult("offline", run.graph, policy, stack, run.messages))
    _write(result, build_dir, changes={"create": len(_shown(result.graph))})
    return result


def analyze_state(
    state_file: Path,
    pack_dir: Path,
    policy_config: Path | None,
    build_dir: Path,
    *,
    on_graph: Callable[[ResourceGraph], None] | None = None,
) -> PreviewResult:
    """The same policy analysis on a deployed stack's `pulumi stack export` document; `on_graph`
    is given the graph once it is read, before the pack analyzes it."""
    graph = ResourceGraph.load(state_file)
    if on_graph is not None:
        on_graph(graph)
    policy = analyze_graph(graph, pack_dir, policy_config, dry_run=False)
    result = _scrubbed(PreviewResult("state", graph, policy, str(state_file)))
    _write(result, build_dir, changes={"same": len(_shown(graph))})
    return result


def _scrubbed(result: PreviewResult) -> PreviewResult:
    """The result with every secret of the graph and findings scrubbed from what is printed and
    logged (messages, findings, events): a policy may quote a secret value in its message."""
    secrets = secret_values(result.graph, result.policy.findings)
    if not secrets:
        return result
    policy = replace(
        result.policy,
        findings=scrub(result.policy.findings, secrets),
        events=scrub(result.policy.events, secrets),
    )
    return replace(result, policy=policy, messages=scrub(result.messages, secrets))


def preview_dir(build_dir: Path, stack: str) -> Path:
    return build_dir / "preview" / stack


def _write(result: PreviewResult, build_dir: Path, changes: dict[str, int]) -> None:
    folder = contained(
        preview_dir(build_dir, result.graph.stack or "stack"), build_dir, BuildDirError
    )
    pack = result.policy.pack
    events = [
        *result.policy.events,
        summary_event(changes, {pack.name: pack.version}, is_preview=result.mode != "state"),
    ]
    try:
        result.graph.write(folder / "stack-export.json")
        write_event_log(folder / "policy-events.jsonl", events)
    except OSError as cause:
        raise BuildDirError(
            f"{folder}: cannot write the run's files ({cause.strerror or cause})"
        ) from cause


def render(result: PreviewResult, out: TextIO) -> None:
    """Print the preview the way `pulumi preview --policy-pack` lays it out."""
    verb = "Previewing update" if result.mode == "offline" else "Analyzing"
    print(f"{verb} ({result.source})", file=out)
    print(f"Mode: {MODE_DESCRIPTIONS[result.mode]}", file=out)
    print(file=out)
    plan = "create" if result.mode == "offline" else "same"
    _render_tree(result.graph, plan, out)
    _render_messages(result, out)
    print(file=out)
    _render_policies(result, out)
    if result.outputs:
        print("\nOutputs:", file=out)
        for name, value in sorted(result.outputs.items()):
            print(f"    {name}: {json.dumps(redact(value, name))}", file=out)
    count = len(_shown(result.graph))
    summary = f"+ {count} to create" if plan == "create" else f"{count} unchanged"
    print(f"\nResources:\n    {summary}", file=out)


def _render_messages(result: PreviewResult, out: TextIO) -> None:
    """What the program logged, by resource, as the CLI's `Diagnostics:` section shows it."""
    by_resource: dict[str, list[ProgramMessage]] = defaultdict(list)
    for message in result.messages:
        by_resource[message.urn].append(message)
    if not by_resource:
        return
    print("\nDiagnostics:", file=out)
    for urn, messages in by_resource.items():
        resource = result.graph.get(urn)
        print(f"  {resource.type} ({resource.name}):" if resource else f"  {urn}:", file=out)
        for message in messages:
            prefix = "" if message.severity == "info" else f"{message.severity}: "
            for line in message.message.splitlines():
                print(f"    {prefix}{line}", file=out)
                prefix = " " * len(prefix)


def _render_tree(graph: ResourceGraph, plan: str, out: TextIO) -> None:
    shown = _shown(graph)
    urns = {r.urn for r in shown}
    children: dict[str | None, list[GraphResource]] = defaultdict(list)
    for resource in shown:
        children[resource.parent if resource.parent in urns else None].append(resource)
    rows = list(_tree_rows(children, None, ""))
    type_width = max([len("Type"), *(len(prefix + r.type) for prefix, r in rows)])
    name_width = max([len("Name"), *(len(r.name) for _, r in rows)])
    symbol = "+" if plan == "create" else " "
    print(f"     {'Type':<{type_width}}  {'Name':<{name_width}}  Plan", file=out)
    for prefix, resource in rows:
        cell = prefix + resource.type
        print(f" {symbol}   {cell:<{type_width}}  {resource.name:<{name_width}}  {plan}", file=out)


def _tree_rows(
    children: dict[str | None, list[GraphResource]], parent: str | None, indent: str
) -> Iterator[tuple[str, GraphResource]]:
    siblings = children.get(parent, [])
    for index, resource in enumerate(siblings):
        last = index == len(siblings) - 1
        branch = "" if parent is None else ("└─ " if last else "├─ ")
        yield indent + branch, resource
        deeper = "" if parent is None else ("   " if last else "│  ")
        yield from _tree_rows(children, resource.urn, indent + deeper)


def _render_policies(result: PreviewResult, out: TextIO) -> None:
    pack = result.policy.pack
    failures = [f for f in result.policy.findings if f.outcome is Outcome.FAIL]
    not_run = [f for f in result.policy.findings if f.outcome is Outcome.NOT_RUN]
    if result.policy.blocking:
        mark = "❌"
    elif failures or not_run:
        mark = "⚠️"
    else:
        mark = "✅"
    print("Policies:", file=out)
    environment = f" ({pack.environment_text()})" if pack.environment else ""
    print(f"    {mark} {pack.name}@v{pack.version}{environment}", file=out)
    for finding in sorted(
        [*failures, *not_run],
        key=lambda f: (f.enforcement is not Enforcement.MANDATORY, f.sort_key()),
    ):
        where = f"  ({finding.resource.type}: {finding.resource.name})" if finding.resource else ""
        severity = f"  [{finding.severity.value}]"
        print(f"        - [{finding.enforcement.value}]{severity}  {finding.rule}{where}", file=out)
        # The pack's message already starts with the policy's description, as the CLI shows it.
        for line in finding.message.splitlines():
            print(f"          {line}", file=out)
    if not_run:
        print(
            f"    {len(not_run)} policy result(s) unable to run during preview: they read values "
            "that are unknown until the resources exist",
            file=out,
        )


def _shown(graph: ResourceGraph) -> list[GraphResource]:
    """What `pulumi preview` lists: every resource but the engine's default providers."""
    return [r for r in graph.resources if not (r.is_provider and r.name.startswith("default"))]
