"""The real-CLI path, run against a fake `pulumi` on PATH that records what it is asked to do."""

import io
import json
import os
import sys
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

import pytest

from compliance.cli import main

FIXTURES = Path(__file__).parents[1] / "fixtures"
PROBE_PACK = FIXTURES / "probe_pack"
FAKE_PULUMI = f"""#!{sys.executable}
import json, os, sys
with open(os.environ["FAKE_PULUMI_LOG"], "a") as log:
    log.write(json.dumps({{
        "argv": sys.argv[1:],
        "cwd": os.getcwd(),
        "backend": os.environ.get("PULUMI_BACKEND_URL"),
        "passphrase": os.environ.get("PULUMI_CONFIG_PASSPHRASE"),
    }}) + "\\n")
export = os.environ.get("FAKE_PULUMI_EXPORT")
if export and sys.argv[1:3] == ["stack", "export"]:
    with open(sys.argv[sys.argv.index("--file") + 1], "w") as exported:
        exported.write(open(export).read())
failing = os.environ.get("FAKE_PULUMI_FAIL")
sys.exit(3 if failing and failing == sys.argv[1] else 0)
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the mini project, so the CLI's local state folder lands in a scratch place."""
    source = FIXTURES / "mini_project"
    copy = tmp_path / "project"
    copy.mkdir()
    for item in source.iterdir():
        target = copy / item.name
        if item.is_dir():
            target.symlink_to(item, target_is_directory=True)
        else:
            target.write_text(item.read_text())
    return copy


@pytest.fixture
def fake_pulumi(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    executable = bin_dir / "pulumi"
    executable.write_text(FAKE_PULUMI)
    executable.chmod(0o755)
    log = tmp_path / "pulumi.log"
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_PULUMI_LOG", str(log))
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "correct horse")
    monkeypatch.delenv("PULUMI_BACKEND_URL", raising=False)
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE_FILE", raising=False)
    return log


def calls(log: Path) -> list[dict[str, Any]]:
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines()]


def run(*argv: str) -> int:
    with redirect_stdout(io.StringIO()):
        return main(list(argv))


def pack_args(project: Path, *extra: str) -> list[str]:
    return [
        "--project-dir",
        str(project),
        "--policy-pack",
        str(PROBE_PACK),
        "--build-dir",
        str(project / "build"),
        *extra,
    ]


def test_preview_selects_the_stack_then_previews_with_the_pack(
    project: Path, fake_pulumi: Path
) -> None:
    config = project / "policy.json"
    config.write_text("{}")
    code = run(
        "preview", "--stack", "test", *pack_args(project, "--policy-pack-config", str(config))
    )
    assert code == 0
    state = f"file://{project.resolve() / '.state'}"
    assert calls(fake_pulumi) == [
        {
            "argv": [
                "stack",
                "select",
                "--create",
                "--stack",
                "test",
                "--secrets-provider",
                "passphrase",
                "--non-interactive",
            ],
            "cwd": str(project),
            "backend": state,
            "passphrase": "correct horse",
        },
        {
            "argv": [
                "preview",
                "--stack",
                "test",
                "--policy-pack",
                str(PROBE_PACK),
                "--policy-pack-config",
                str(config),
                "--non-interactive",
            ],
            "cwd": str(project),
            "backend": state,
            "passphrase": "correct horse",
        },
    ]
    assert (project / ".state").is_dir()


def test_a_backend_from_the_environment_is_kept_and_needs_no_passphrase(
    project: Path, fake_pulumi: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PULUMI_BACKEND_URL", "https://api.pulumi.com")
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE")
    assert run("preview", "--stack", "test", *pack_args(project)) == 0
    select, preview = calls(fake_pulumi)
    assert select["argv"] == ["stack", "select", "--create", "--stack", "test", "--non-interactive"]
    assert preview["backend"] == "https://api.pulumi.com"


def test_a_local_backend_without_a_passphrase_is_refused(
    project: Path,
    fake_pulumi: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE")
    assert run("preview", "--stack", "test", *pack_args(project)) == 2
    assert (
        "set PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE" in capsys.readouterr().err
    )
    assert calls(fake_pulumi) == []
    assert not (project / ".state").exists()


def test_a_failing_cli_step_stops_the_run_with_its_exit_code(
    project: Path, fake_pulumi: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_PULUMI_FAIL", "stack")
    assert run("preview", "--stack", "test", *pack_args(project)) == 3
    assert [c["argv"][0] for c in calls(fake_pulumi)] == ["stack"]


def test_deploy_without_the_cli_is_refused(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", str(project))
    assert run("deploy", "--stack", "test", *pack_args(project)) == 2
    assert "deploy needs the Pulumi CLI" in capsys.readouterr().err


def test_deploy_with_a_mandatory_violation_is_refused(
    project: Path, fake_pulumi: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("deploy", "--stack", "unprotected", *pack_args(project)) == 2
    assert "mandatory policy violation" in capsys.readouterr().err
    assert calls(fake_pulumi) == []
    assert not (project / ".state").exists()


def test_deploy_to_a_local_backend_without_a_passphrase_stops_before_the_preview(
    project: Path,
    fake_pulumi: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE")
    assert run("deploy", "--stack", "test", *pack_args(project)) == 2
    assert "set PULUMI_CONFIG_PASSPHRASE" in capsys.readouterr().err
    assert calls(fake_pulumi) == []
    assert not (project / "build").exists()
    assert not (project / ".state").exists()


def test_a_state_backend_that_cannot_be_created_is_one_error_naming_it(
    project: Path, fake_pulumi: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / ".state").write_text("")
    assert run("preview", "--stack", "test", *pack_args(project)) == 2
    assert capsys.readouterr().err == (
        f"error: {project.resolve() / '.state'}: cannot create the stack's local state backend "
        "(File exists)\n"
    )
    assert calls(fake_pulumi) == []


def test_deploy_to_a_region_the_pack_does_not_allow_is_refused(
    project: Path, fake_pulumi: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = project / "policy.json"
    config.write_text(json.dumps({"allowed-region": "advisory"}))
    code = run(
        "deploy", "--stack", "elsewhere", *pack_args(project, "--policy-pack-config", str(config))
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "aws:region 'us-east-1' is not an allowed region (eu-west-1)" in err
    assert calls(fake_pulumi) == []


@pytest.mark.parametrize(
    ("extra", "confirm"), [((), []), (("--yes",), ["--yes", "--non-interactive"])]
)
def test_deploy_runs_pulumi_up_and_passes_yes_only_when_given(
    project: Path, fake_pulumi: Path, extra: tuple[str, ...], confirm: list[str]
) -> None:
    assert run("deploy", "--stack", "test", "--skip-verify", *pack_args(project, *extra)) == 0
    select, up = calls(fake_pulumi)
    assert select["argv"][:3] == ["stack", "select", "--create"]
    assert up["argv"] == ["up", "--stack", "test", "--policy-pack", str(PROBE_PACK), *confirm]


def test_deploy_exports_what_it_deployed_for_the_live_verification(
    project: Path, fake_pulumi: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The fake CLI writes no export: the verification says so, in one line.
    assert run("deploy", "--stack", "test", "--yes", *pack_args(project)) == 2
    exported = project / "build" / "deploy" / "test" / "stack-export.json"
    assert calls(fake_pulumi)[-1]["argv"] == [
        "stack",
        "export",
        "--stack",
        "test",
        "--file",
        str(exported),
    ]
    assert exported.parent.is_dir()
    assert capsys.readouterr().err.startswith(f"error: {exported}: cannot read")


def test_the_pack_found_in_the_project_reaches_the_cli_as_an_absolute_path(
    project: Path, fake_pulumi: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / "policy_pack").symlink_to(PROBE_PACK, target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    code = run("preview", "--stack", "test", "--project-dir", "project")
    assert code == 0
    argv = calls(fake_pulumi)[-1]["argv"]
    assert argv[argv.index("--policy-pack") + 1] == str(tmp_path / "project" / "policy_pack")
