"""The CI workflows users copy: actionlint passes them, every nox command they run is a session of
`noxfile.py` with options its command accepts, production is reached only through its environment
and OIDC, and no job holds a write permission it does not use."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest
import yaml

from compliance.audit.writer import RENDERERS
from compliance.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
SETUP_ACTION = ROOT / ".github" / "actions" / "setup" / "action.yml"
PIN = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")
USES = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<ref>\S+)(?:\s+#\s*(?P<version>\S+))?\s*$")
SHELL_VARIABLE = re.compile(r"\$\{?(\w+)\}?")
EXPRESSION = re.compile(r"\$\{\{.*?\}\}")
WRITES_NEEDED: Mapping[str, frozenset[str]] = {
    "aws-actions/configure-aws-credentials": frozenset({"id-token"}),
    "github/codeql-action/upload-sarif": frozenset({"security-events"}),
    "mikepenz/action-junit-report": frozenset({"checks"}),
}
"""The actions that need a write permission, and which."""
READS_ALLOWED = frozenset({"contents"})
STATIC_KEYS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "aws-access-key-id")


def load(path: Path) -> dict[str, Any]:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(document, dict), path
    # YAML 1.1 reads the `on:` key as a boolean.
    if True in document:
        document["on"] = document.pop(True)
    return document


def workflow_files() -> list[Path]:
    return sorted(WORKFLOWS.glob("*.yml"))


@dataclass(frozen=True)
class Job:
    workflow: str
    name: str
    spec: dict[str, Any]

    @property
    def steps(self) -> list[dict[str, Any]]:
        return list(self.spec.get("steps", []))

    def actions(self) -> set[str]:
        return {step["uses"].split("@")[0] for step in self.steps if "uses" in step}

    def commands(self) -> Iterator[list[str]]:
        """Each command line of the job's `run:` scripts, split as the shell would, with shell
        variables and expressions as placeholders."""
        for step in self.steps:
            for script_line in str(step.get("run", "")).splitlines():
                line = EXPRESSION.sub("placeholder", script_line)
                line = SHELL_VARIABLE.sub(lambda m: f"/runner/{m.group(1)}", line)
                if line.strip():
                    yield shlex.split(line)

    def nox_commands(self) -> list[list[str]]:
        return [argv[1:] for argv in self.commands() if argv[0] == "nox"]

    def permissions(self) -> dict[str, str]:
        permissions = self.spec.get("permissions")
        assert isinstance(permissions, dict), f"{self}: permissions must be listed, scope by scope"
        return {str(scope): str(level) for scope, level in permissions.items()}

    def __str__(self) -> str:
        return f"{self.workflow}: job {self.name}"


def all_jobs() -> list[Job]:
    return [
        Job(path.name, name, spec)
        for path in workflow_files()
        for name, spec in load(path)["jobs"].items()
    ]


def permission_problems(job: Job, called: Mapping[str, list[Job]]) -> list[str]:
    """Writes the job holds but no step of it uses, writes a step needs but the job lacks, and
    reads beyond what checking out needs."""
    permissions = job.permissions()
    writes = {scope for scope, level in permissions.items() if level == "write"}
    reads = {scope for scope, level in permissions.items() if level == "read"}
    if "uses" in job.spec:
        inner = called[Path(job.spec["uses"]).name]
        needed = set().union(*(permission_needs(j) for j in inner))
    else:
        needed = permission_needs(job)
    problems = [f"{job}: holds {scope}: write and uses it nowhere" for scope in writes - needed]
    problems += [f"{job}: needs {scope}: write" for scope in needed - writes]
    problems += [f"{job}: reads {scope}" for scope in reads - READS_ALLOWED]
    return problems


def permission_needs(job: Job) -> set[str]:
    return set().union(*(WRITES_NEEDED.get(action, frozenset()) for action in job.actions()))


def test_every_workflow_and_action_passes_actionlint_with_shellcheck() -> None:
    bin_dir = Path(sys.executable).parent
    actionlint = shutil.which("actionlint", path=str(bin_dir))
    shellcheck = shutil.which("shellcheck", path=str(bin_dir))
    assert actionlint, "actionlint comes with the dev extra"
    assert shellcheck, "shellcheck comes with the dev extra"
    assert len(workflow_files()) == 4
    result = subprocess.run(
        [actionlint, f"-shellcheck={shellcheck}", *map(str, workflow_files())],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_catches_what_it_is_here_for(tmp_path: Path) -> None:
    bin_dir = Path(sys.executable).parent
    planted = tmp_path / ".github" / "workflows" / "bad.yml"
    planted.parent.mkdir(parents=True)
    planted.write_text(
        "on: pull_request\n"
        "permissions: {}\n"
        "jobs:\n"
        "  x:\n"
        "    runs-on: ubuntu-24.04\n"
        "    steps:\n"
        "      - run: echo $HOME ${{ github.event.pull_request.title }}\n"
    )
    result = subprocess.run(
        [
            str(bin_dir / "actionlint"),
            f"-shellcheck={bin_dir / 'shellcheck'}",
            "-format",
            "{{json .}}",
            str(planted),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    kinds = {error["kind"] for error in json.loads(result.stdout)}
    assert result.returncode == 1
    assert {"shellcheck", "expression"} <= kinds


def test_every_remote_action_is_pinned_to_a_commit_with_its_version_named() -> None:
    versions: dict[str, set[str]] = {}
    files = [*workflow_files(), SETUP_ACTION]
    for path in files:
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            match = USES.match(line)
            if match is None or match["ref"].startswith("./"):
                continue
            where = f"{path.relative_to(ROOT)}:{number}"
            assert PIN.match(match["ref"]), f"{where}: {match['ref']} is not pinned to a commit"
            assert re.fullmatch(r"v\d+\.\d+\.\d+", match["version"] or ""), (
                f"{where}: name the release the commit is (`# vX.Y.Z`)"
            )
            versions.setdefault(match["ref"], set()).add(match["version"])
    assert versions
    assert {ref: names for ref, names in versions.items() if len(names) > 1} == {}


def test_workflows_grant_nothing_by_default_and_every_job_lists_its_own() -> None:
    for path in workflow_files():
        assert load(path).get("permissions") == {}, path.name
    for job in all_jobs():
        assert set(job.permissions().values()) <= {"read", "write"}, job


def test_no_job_has_a_write_permission_it_does_not_use() -> None:
    jobs = all_jobs()
    called = {path.name: [j for j in jobs if j.workflow == path.name] for path in workflow_files()}
    assert [problem for job in jobs for problem in permission_problems(job, called)] == []


def test_the_permission_check_finds_an_unused_write_and_a_missing_one() -> None:
    checkout = {"uses": "actions/checkout@" + "0" * 40}
    sarif = {"uses": "github/codeql-action/upload-sarif@" + "0" * 40}
    idle = Job("x.yml", "idle", {"permissions": {"pull-requests": "write"}, "steps": [checkout]})
    short = Job("x.yml", "short", {"permissions": {"contents": "read"}, "steps": [sarif]})
    nosy = Job("x.yml", "nosy", {"permissions": {"issues": "read"}, "steps": [checkout]})
    assert permission_problems(idle, {}) == [
        "x.yml: job idle: holds pull-requests: write and uses it nowhere"
    ]
    assert permission_problems(short, {}) == ["x.yml: job short: needs security-events: write"]
    assert permission_problems(nosy, {}) == ["x.yml: job nosy: reads issues"]


@pytest.fixture(scope="module")
def noxfile() -> Iterator[ModuleType]:
    """`noxfile.py` imported as nox imports it (it sets defaults in the environment: undone)."""
    saved = dict(os.environ)
    spec = importlib.util.spec_from_file_location("workflow_noxfile", ROOT / "noxfile.py")
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        os.environ.clear()
        os.environ.update(saved)


class RecordingSession:
    """What a nox session asks nox to run, recorded instead of run."""

    def __init__(self, posargs: list[str]) -> None:
        self.posargs = posargs
        self.virtualenv = SimpleNamespace(location="/runner/venv")
        self.runs: list[tuple[str, ...]] = []

    def run(self, *args: str, **_: Any) -> None:
        self.runs.append(args)

    def run_install(self, *_: str, **__: Any) -> None:
        pass

    def install(self, *_: str, **__: Any) -> None:
        pass


def compliance_command(noxfile: ModuleType, session: str, posargs: list[str]) -> list[str] | None:
    """The `python -m compliance` arguments the session runs, or None if it runs none."""
    recorder = RecordingSession(posargs)
    getattr(noxfile, session)(recorder)
    for run in recorder.runs:
        if run[:3] == ("python", "-m", "compliance"):
            return list(run[3:])
    return None


def split_nox(argv: list[str]) -> tuple[list[str], list[str], list[str]]:
    """nox's own options, the sessions named by `-s`, and the session arguments after `--`."""
    options, posargs = (
        (argv[: argv.index("--")], argv[argv.index("--") + 1 :]) if ("--" in argv) else (argv, [])
    )
    sessions: list[str] = []
    if "-s" in options:
        start = options.index("-s") + 1
        for arg in options[start:]:
            if arg.startswith("-"):
                break
            sessions.append(arg)
    return options, sessions, posargs


def test_every_nox_command_runs_sessions_of_the_noxfile_with_options_they_accept(
    noxfile: ModuleType,
) -> None:
    seen: set[str] = set()
    for job in all_jobs():
        for argv in job.nox_commands():
            options, sessions, posargs = split_nox(argv)
            assert sessions, f"{job}: `nox {shlex.join(argv)}` names no session"
            # nox's own parser and session registry: unknown options and sessions fail here.
            listed = subprocess.run(
                [sys.executable, "-m", "nox", *options, "--list", "--json"],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=False,
            )
            assert listed.returncode == 0, f"{job}: nox {shlex.join(argv)}\n{listed.stderr}"
            assert [s["session"] for s in json.loads(listed.stdout)] == sessions
            for session in sessions:
                seen.add(session)
                command = compliance_command(noxfile, session, posargs)
                if command is None:
                    assert not posargs, f"{job}: {session} runs no command to pass {posargs} to"
                    continue
                errors = io.StringIO()
                with contextlib.redirect_stderr(errors), contextlib.suppress(SystemExit):
                    build_parser().parse_args(command)
                assert errors.getvalue() == "", (
                    f"{job}: nox {shlex.join(argv)}: {errors.getvalue()}"
                )
    assert {"lint", "tests", "preview", "audit", "deploy", "newest"} <= seen


def test_an_option_the_command_does_not_take_fails_the_check(noxfile: ModuleType) -> None:
    command = compliance_command(noxfile, "audit", ["--no-such-option"])
    assert command == ["audit", "--no-such-option"]
    errors = io.StringIO()
    with contextlib.redirect_stderr(errors), pytest.raises(SystemExit):
        build_parser().parse_args(command)
    assert "unrecognized arguments: --no-such-option" in errors.getvalue()


def jobs_reaching_production() -> list[Job]:
    """Jobs that deploy the stack or read its state from the backend."""
    return [
        job
        for job in all_jobs()
        if any(
            argv[0] == "pulumi" or (argv[0] == "nox" and "deploy" in split_nox(argv[1:])[1])
            for argv in job.commands()
        )
    ]


def test_production_is_reached_only_through_its_environment_and_oidc() -> None:
    reaching = jobs_reaching_production()
    assert {(job.workflow, job.name) for job in reaching} == {
        ("deploy.yml", "deploy"),
        ("nightly.yml", "audit-production"),
    }
    for job in reaching:
        deploys = any("deploy" in split_nox(argv)[1] for argv in job.nox_commands())
        environment = job.spec.get("environment", {}).get("name")
        assert environment == ("production" if deploys else "production-audit"), job
        assert job.permissions().get("id-token") == "write", job
        credentials = [
            s
            for s in job.steps
            if s.get("uses", "").startswith("aws-actions/configure-aws-credentials@")
        ]
        assert len(credentials) == 1, job
        inputs = credentials[0]["with"]
        assert inputs["role-to-assume"].startswith("${{ vars."), job
        assert inputs["aws-region"] == "eu-west-1", job
        assert "allowed-account-ids" in inputs, job
        for variable in ("PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE"):
            assert job.spec["env"][variable] == f"${{{{ secrets.{variable} }}}}", job
    for path in [*workflow_files(), SETUP_ACTION]:
        text = path.read_text()
        assert not any(key in text for key in STATIC_KEYS), f"{path.name}: long-lived AWS keys"
        assert "pull_request_target" not in text, path.name


def test_deploys_run_one_at_a_time_after_the_checks_on_main_only() -> None:
    workflow = load(WORKFLOWS / "deploy.yml")
    assert workflow["on"] == {"push": {"branches": ["main"]}, "workflow_dispatch": None}
    assert workflow["concurrency"] == {"group": "deploy-prod", "cancel-in-progress": False}
    assert workflow["jobs"]["deploy"]["needs"] == "checks"
    assert workflow["jobs"]["checks"]["uses"] == "./.github/workflows/checks.yml"
    commands = list(Job("deploy.yml", "deploy", workflow["jobs"]["deploy"]).commands())
    assert ["nox", "--reuse-venv=yes", "-s", "deploy", "--", "--stack", "prod", "--yes"] in commands


def test_the_audit_reads_the_state_the_export_wrote() -> None:
    for job in jobs_reaching_production():
        commands = list(job.commands())
        exports = [argv for argv in commands if argv[:3] == ["pulumi", "stack", "export"]]
        assert len(exports) == 1, job
        exported = exports[0][exports[0].index("--file") + 1]
        audits = [
            posargs
            for argv in job.nox_commands()
            for _, sessions, posargs in [split_nox(argv)]
            if sessions == ["audit"]
        ]
        assert len(audits) == 1, job
        assert audits[0][audits[0].index("--state") + 1] == exported, job
        assert commands.index(exports[0]) < next(
            i for i, argv in enumerate(commands) if argv[0] == "nox" and "audit" in argv
        )


def test_the_reports_published_are_the_ones_the_audit_writes() -> None:
    for job in all_jobs():
        audits = [split_nox(argv)[2] for argv in job.nox_commands() if "audit" in argv]
        if not audits:
            continue
        posargs = audits[0]
        out = posargs[posargs.index("--out") + 1]
        assert posargs[posargs.index("--summary") + 1] == "/runner/GITHUB_STEP_SUMMARY", job
        for step in job.steps:
            action, inputs = step.get("uses", "").split("@")[0], step.get("with", {})
            if action == "github/codeql-action/upload-sarif":
                assert inputs["sarif_file"] == f"{out}/audit.sarif"
            elif action == "mikepenz/action-junit-report":
                assert inputs["report_paths"] == f"{out}/junit.xml"
            elif action == "actions/upload-artifact":
                assert inputs["path"] == f"{out}/"
                # Kept whatever the verdict: a failed audit's reports are the ones to read.
                assert step["if"].startswith("${{ !cancelled()"), job
        assert {"audit.sarif", "junit.xml", "audit.json"} <= set(RENDERERS)


def test_the_pull_request_previews_live_only_with_a_role_and_never_for_forks() -> None:
    jobs = load(WORKFLOWS / "pull-request.yml")["jobs"]
    live, offline = jobs["preview"], jobs["preview-offline"]
    condition = live["if"]
    assert "vars.AWS_PREVIEW_ROLE_ARN != ''" in condition
    assert "github.event.pull_request.head.repo.full_name == github.repository" in condition
    assert offline["if"] == f"${{{{ !({condition}) }}}}"
    assert "id-token" not in offline["permissions"]
    offline_commands = list(Job("pull-request.yml", "preview-offline", offline).nox_commands())
    assert offline_commands == [
        ["--reuse-venv=yes", "-s", "preview", "--", "--stack", "prod", "--offline"]
    ]


def test_the_tooling_is_set_up_as_the_quick_start_does_and_cached_on_the_pins() -> None:
    readme = (ROOT / "README.md").read_text()
    quick_start = readme.split("## Quick start", 1)[1].split("```bash\n", 1)[1].split("```")[0]
    setup_line = quick_start.splitlines()[0].split(" && .venv-nox/bin/nox")[0]
    action = load(SETUP_ACTION)
    steps = action["runs"]["steps"]
    scripts = [str(step.get("run", "")) for step in steps]
    assert any(setup_line in script for script in scripts)
    cache = next(step for step in steps if step.get("uses", "").startswith("actions/cache@"))
    hashed = re.findall(r"'([^']+)'", cache["with"]["key"].split("hashFiles(", 1)[1])
    assert set(hashed) == {
        "uv.lock",
        "policy_pack/requirements.txt",
        "compliance/checkov/requirements.txt",
    }
    assert all((ROOT / name).is_file() for name in hashed)
    assert "steps.python.outputs.python-version" in cache["with"]["key"]


def test_the_pulumi_cli_the_workflows_install_is_the_locked_sdk_version() -> None:
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    pulumi = next(p["version"] for p in lock["package"] if p["name"] == "pulumi")
    assert (ROOT / ".pulumi-version").read_text() == f"{pulumi}\n"
    for job in all_jobs():
        for step in job.steps:
            if step.get("uses", "").startswith("pulumi/actions@"):
                assert step["with"] == {"pulumi-version-file": ".pulumi-version"}, job


def test_dependabot_moves_the_pins_of_every_workflow_and_the_shared_setup() -> None:
    config = load(ROOT / ".github" / "dependabot.yml")
    actions = next(u for u in config["updates"] if u["package-ecosystem"] == "github-actions")
    watched = actions["directories"]
    assert "/" in watched
    setup = SETUP_ACTION.parent.relative_to(ROOT)
    assert any(setup.match(pattern.strip("/")) for pattern in watched if pattern != "/")
