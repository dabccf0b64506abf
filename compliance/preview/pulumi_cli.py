"""The thin path through the real Pulumi CLI: `pulumi preview` / `pulumi up` with the policy pack,
and the checks a deployment must pass first.

State lives in a local file backend inside the project (`file://<project>/.state`) unless
`PULUMI_BACKEND_URL` says otherwise, so no Pulumi Cloud login is needed. Stacks in a local backend
encrypt their secrets with a passphrase: `PULUMI_CONFIG_PASSPHRASE` or
`PULUMI_CONFIG_PASSPHRASE_FILE` must be set, and nothing here invents one.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from compliance.model.errors import UserError
from compliance.preview.policy_config import load_policy_config
from compliance.preview.policy_findings import PolicyRun
from compliance.preview.project import load_project, load_stack_config, stack_config_path

PASSPHRASE_VARIABLES = ("PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE")
REGION_SETTING = "allowedRegions"
"""The policy config property that lists the regions a stack may deploy to."""
STATE_DIR = ".state"


class PulumiCliError(UserError):
    """The Pulumi CLI is missing, cannot be set up, or failed."""


@dataclass(frozen=True)
class StackTarget:
    """Which stack of which project, with which policy pack and policy config."""

    project_dir: Path
    stack: str
    pack_dir: Path
    policy_config: Path | None


@dataclass(frozen=True)
class PulumiInvocation:
    """The commands to run, in order, in `cwd` with `env`."""

    commands: tuple[tuple[str, ...], ...]
    env: dict[str, str]
    cwd: Path
    state_dir: Path | None = None
    """The project's own file backend, created when the commands run (None: the user's backend)."""


def find_pulumi() -> str | None:
    return shutil.which("pulumi")


def require_pulumi(action: str) -> str:
    executable = find_pulumi()
    if executable is None:
        raise PulumiCliError(
            f"{action} needs the Pulumi CLI and `pulumi` is not on PATH: install it "
            "(https://www.pulumi.com/docs/iac/download-install/) and run again"
        )
    return executable


def cli_environment(project_dir: Path, environ: Mapping[str, str]) -> dict[str, str]:
    """The environment for the CLI: a local file backend by default, a passphrase for it."""
    env = dict(environ)
    backend = env.get("PULUMI_BACKEND_URL") or f"file://{_own_state(project_dir)}"
    if _is_local(backend) and not any(env.get(name) for name in PASSPHRASE_VARIABLES):
        raise PulumiCliError(
            f"the stack's state is in a local backend ({backend}) whose secrets are encrypted "
            "with a passphrase: set PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE"
        )
    env["PULUMI_BACKEND_URL"] = backend
    return env


def preview_invocation(
    executable: str, target: StackTarget, environ: Mapping[str, str]
) -> PulumiInvocation:
    return _invocation(executable, target, environ, ("preview", "--non-interactive"))


def up_invocation(
    executable: str,
    target: StackTarget,
    environ: Mapping[str, str],
    *,
    yes: bool,
    export_to: Path | None = None,
) -> PulumiInvocation:
    """`pulumi up`: interactive (the CLI asks before it changes anything) unless `yes`; then,
    given `export_to`, `pulumi stack export` of what was deployed into that file."""
    confirm = ("--yes", "--non-interactive") if yes else ()
    invocation = _invocation(executable, target, environ, ("up", *confirm))
    if export_to is None:
        return invocation
    export = (executable, "stack", "export", "--stack", target.stack, "--file", str(export_to))
    return replace(invocation, commands=(*invocation.commands, export))


def check_deployable(target: StackTarget, preview: PolicyRun) -> None:
    """Refuse a deployment the offline preview blocks or whose region the policy config denies."""
    if preview.blocking:
        raise PulumiCliError(
            f"deploy refused: the preview has {len(preview.blocking)} mandatory policy "
            "violation(s), listed above"
        )
    project = load_project(target.project_dir.resolve())
    region = load_stack_config(project, target.stack).get("aws:region")
    config = load_policy_config(target.policy_config, preview.pack)
    allowed = sorted(
        {name for entry in config.values() for name in entry.properties.get(REGION_SETTING, ())}
    )
    stack_file = stack_config_path(project.directory, target.stack)
    if region is None:
        raise PulumiCliError(f"deploy refused: {stack_file} sets no aws:region")
    if not allowed:
        raise PulumiCliError(
            f"deploy refused: the policy config ({target.policy_config or 'pack defaults'}) "
            f"names no {REGION_SETTING} to check aws:region {region!r} against"
        )
    if region not in allowed:
        raise PulumiCliError(
            f"deploy refused: {stack_file}: aws:region {region!r} is not an allowed region "
            f"({', '.join(allowed)}) in {target.policy_config or 'the pack defaults'}"
        )


def run(invocation: PulumiInvocation) -> int:
    """Run each command in turn; the first that fails ends the run with its exit code."""
    if invocation.state_dir is not None:
        try:
            invocation.state_dir.mkdir(parents=True, exist_ok=True)
        except OSError as cause:
            raise PulumiCliError(
                f"{invocation.state_dir}: cannot create the stack's local state backend "
                f"({cause.strerror or cause})"
            ) from cause
    for command in invocation.commands:
        if "--file" in command:
            _make_parent(Path(command[command.index("--file") + 1]))
        completed = subprocess.run(command, cwd=invocation.cwd, env=invocation.env, check=False)
        if completed.returncode != 0:
            return completed.returncode
    return 0


def _make_parent(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as cause:
        raise PulumiCliError(
            f"{path.parent}: cannot create the folder for the stack export ({cause.strerror})"
        ) from cause


def _invocation(
    executable: str, target: StackTarget, environ: Mapping[str, str], action: tuple[str, ...]
) -> PulumiInvocation:
    """Select (or create) the stack, then run `action` on it with the policy pack."""
    env = cli_environment(target.project_dir, environ)
    verb, *flags = action
    # Absolute: the CLI runs in the project directory, the paths are relative to ours.
    policy = ["--policy-pack", str(target.pack_dir.absolute())]
    if target.policy_config is not None:
        policy += ["--policy-pack-config", str(target.policy_config.absolute())]
    return PulumiInvocation(
        commands=(
            _select_stack(executable, target.stack, env),
            (executable, verb, "--stack", target.stack, *policy, *flags),
        ),
        env=env,
        cwd=target.project_dir,
        state_dir=None if environ.get("PULUMI_BACKEND_URL") else _own_state(target.project_dir),
    )


def _select_stack(executable: str, stack: str, env: Mapping[str, str]) -> tuple[str, ...]:
    """Select the stack, creating it (with a passphrase secrets provider when local) if new."""
    secrets = ("--secrets-provider", "passphrase") if _is_local(env["PULUMI_BACKEND_URL"]) else ()
    return (
        executable,
        "stack",
        "select",
        "--create",
        "--stack",
        stack,
        *secrets,
        "--non-interactive",
    )


def _own_state(project_dir: Path) -> Path:
    return project_dir.resolve() / STATE_DIR


def _is_local(backend: str) -> bool:
    return backend.startswith("file://")
