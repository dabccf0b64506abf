"""Where a report comes from: when, from which commit, with which tools and which inputs."""

from __future__ import annotations

import hashlib
import json
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from compliance.model.graph import ResourceGraph

TOOLS = ("pulumi", "pulumi-aws", "pulumi-policy", "payment-stack")
"""Distributions of the tooling's own environment whose versions shape the verdicts: the SDKs the
program ran on, and the tooling. checkov's comes from its own environment, the pack's SDKs from
the pack's (`PackId.environment`)."""


@dataclass(frozen=True)
class GitState:
    commit: str | None
    dirty: bool | None
    detail: str
    """Why commit/dirty are unknown (empty when they are known)."""


@dataclass(frozen=True)
class FileDigest:
    path: str
    sha256: str | None
    """None when the file does not exist."""


@dataclass(frozen=True)
class PackId:
    name: str
    version: str
    environment: tuple[tuple[str, str], ...] = ()
    """The versions of the SDKs the pack's own environment judged with, by name."""


@dataclass(frozen=True)
class LiveVerification:
    """Where and when the live engine read the running stack."""

    verified_at: str
    account: str
    region: str
    endpoint: str | None
    """None: AWS's own endpoints."""


@dataclass(frozen=True)
class Provenance:
    generated_at: str
    """UTC, ISO 8601 with a `Z`; the only field that differs between two runs on the same inputs."""
    git: GitState
    project: str
    stack: str
    mode: str
    tools: Mapping[str, str | None]
    policy_pack: PackId | None
    stack_config: FileDigest | None
    state_file: FileDigest | None
    resource_graph_sha256: str
    policy_config: FileDigest | None
    live: LiveVerification | None = None


def utc_timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def sha256_file(path: Path, project_dir: Path) -> FileDigest:
    shown = path.resolve()
    if shown.is_relative_to(project_dir.resolve()):
        shown = shown.relative_to(project_dir.resolve())
    try:
        digest: str | None = hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        digest = None
    return FileDigest(shown.as_posix(), digest)


def graph_sha256(graph: ResourceGraph) -> str:
    """Digest of the graph's canonical JSON (sorted keys, no whitespace, UTF-8)."""
    canonical = json.dumps(
        graph.to_stack_export(), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def tool_versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {}
    for name in TOOLS:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def git_state(project_dir: Path) -> GitState:
    try:
        head = _git(project_dir, "rev-parse", "HEAD")
        status = _git(project_dir, "status", "--porcelain")
    except FileNotFoundError:
        return GitState(None, None, "git is not installed")
    except subprocess.CalledProcessError as error:
        if "not a git repository" in error.stderr:
            return GitState(None, None, "not a git work tree")
        return GitState(None, None, f"git failed: {_first_line(error.stderr)}")
    return GitState(head.strip(), bool(status.strip()), "")


def _git(project_dir: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(project_dir), *args], capture_output=True, text=True, check=True
    ).stdout


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def collect_provenance(
    *,
    graph: ResourceGraph,
    mode: str,
    project_dir: Path,
    stack_config: Path | None,
    state_file: Path | None,
    policy_config: Path | None,
    policy_pack: PackId | None,
    checkov_version: str | None,
    now: datetime,
    live: LiveVerification | None = None,
) -> Provenance:
    """`checkov_version`: the checkov that scanned, from its own environment (None: none ran)."""
    return Provenance(
        generated_at=utc_timestamp(now),
        git=git_state(project_dir),
        project=graph.project,
        stack=graph.stack,
        mode=mode,
        tools=tool_versions() | {"checkov": checkov_version},
        policy_pack=policy_pack,
        stack_config=sha256_file(stack_config, project_dir) if stack_config else None,
        state_file=sha256_file(state_file, project_dir) if state_file else None,
        resource_graph_sha256=graph_sha256(graph),
        policy_config=sha256_file(policy_config, project_dir) if policy_config else None,
        live=live,
    )
