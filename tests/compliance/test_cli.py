"""User mistakes end `python -m compliance` with one line on stderr and exit code 2."""

import argparse
import io
import json
import os
import subprocess
import sys
from contextlib import redirect_stdout
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from compliance import arguments
from compliance.cli import BUG_EXIT, BUG_MESSAGE, COMMANDS, main

FIXTURES = Path(__file__).parent / "fixtures"
PROJECT = FIXTURES / "mini_project"
PROBE_PACK = FIXTURES / "probe_pack"


def run(*argv: str) -> int:
    with redirect_stdout(io.StringIO()):
        return main(list(argv))


def preview_args(*extra: str, stack: str = "test") -> list[str]:
    return [
        "preview",
        "--offline",
        "--project-dir",
        str(PROJECT),
        "--stack",
        stack,
        "--policy-pack",
        str(PROBE_PACK),
        *extra,
    ]


def test_commands_form_one_dispatch_table() -> None:
    assert {"preview", "policy", "deploy", "bench"} <= set(COMMANDS)


def test_a_program_that_raises_is_one_line_naming_the_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code = run(*preview_args("--build-dir", str(tmp_path), stack="broken"))
    assert code == 2
    err = capsys.readouterr().err
    assert err == ("error: program/__main__.py:8: ValueError: the inventory names no buckets\n")


def test_debug_shows_the_programs_traceback(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code = run(*preview_args("--build-dir", str(tmp_path), "--debug", stack="broken"))
    assert code == 2
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err
    assert err.endswith(
        "error: program/__main__.py:8: ValueError: the inventory names no buckets\n"
    )


def test_a_pack_that_will_not_start_is_a_user_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    pack = tmp_path / "broken_pack"
    pack.mkdir()
    (pack / "PulumiPolicy.yaml").write_text("runtime: python\nversion: 0.0.1\n")
    (pack / "__main__.py").write_text("raise SystemExit('no policies here')\n")
    code = run(
        "preview",
        "--offline",
        "--project-dir",
        str(PROJECT),
        "--stack",
        "test",
        "--policy-pack",
        str(pack),
        "--build-dir",
        str(tmp_path),
    )
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {pack}: the pack exited")
    assert "no policies here" in err


def test_malformed_policy_config_names_the_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = tmp_path / "config.json"
    config.write_text('{"kms-key-rotation": ')
    code = run(*preview_args("--build-dir", str(tmp_path), "--policy-pack-config", str(config)))
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {config}")
    assert err.count("\n") == 1


def test_policy_config_naming_an_unknown_policy_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"no-such-policy": "advisory"}))
    code = run(*preview_args("--build-dir", str(tmp_path), "--policy-pack-config", str(config)))
    assert code == 2
    assert "no-such-policy" in capsys.readouterr().err


STACK_RESOURCE = {
    "urn": "urn:pulumi:prod::p::pulumi:pulumi:Stack::p-prod",
    "type": "pulumi:pulumi:Stack",
}


def bucket(
    *, tags: bool = True, urn: str = "urn:pulumi:prod::p::aws:s3/bucket:Bucket::b", **extra: Any
) -> dict[str, Any]:
    return {
        "urn": urn,
        "type": "aws:s3/bucket:Bucket",
        "custom": True,
        "id": "b",
        "outputs": {"tags": {"Environment": "production"}} if tags else {},
        **extra,
    }


def export_of(*resources: dict[str, Any], stack: bool = True, stack_name: str = "prod") -> str:
    """A stack export of `resources` (after its stack resource, unless `stack` is false), every
    URN in stack `stack_name`."""
    listed = [STACK_RESOURCE, *resources] if stack else list(resources)
    text = json.dumps({"version": 3, "deployment": {"resources": listed}})
    return text.replace("urn:pulumi:prod::", f"urn:pulumi:{json.dumps(stack_name)[1:-1]}::")


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("{not json", "not JSON (line 1, column 2"),
        ('{"version": 2, "deployment": {}}', "$.version: expected 3"),
        ('{"version": 3, "deployment": {"resources": [{"type": "x"}]}}', ".urn: required"),
        ('{"version": 3, "deployment": {"resources": {}}}', "$.deployment.resources: must be"),
        (
            export_of(bucket(provider="urn:pulumi:prod::p::pulumi:providers:aws::gone::1")),
            "$.deployment.resources[1].provider: names no provider of the document",
        ),
        (export_of(bucket(), bucket(tags=False)), "resources[2].urn: the URN of resources[1]"),
        (export_of(bucket(), stack=False), "0 stack resources (pulumi:pulumi:Stack)"),
        (
            export_of({**STACK_RESOURCE, "urn": STACK_RESOURCE["urn"] + "-2"}, bucket()),
            "2 stack resources (pulumi:pulumi:Stack)",
        ),
        (
            export_of(bucket(), stack_name="../../../../tmp/x"),
            "the stack name '../../../../tmp/x' is not a name",
        ),
        (export_of(bucket(), stack_name="/tmp/x"), "the stack name '/tmp/x' is not a name"),
        (export_of(bucket(), stack_name="prod\x1b[2J"), "is not a name"),
        (
            export_of(bucket(urn="urn:pulumi:dev::p::aws:s3/bucket:Bucket::b")),
            "resources[1].urn: not of stack p/prod",
        ),
        (
            export_of(bucket(parent="urn:pulumi:prod::p::my:component:Thing::gone")),
            "resources[1].parent: names no resource of the document",
        ),
        (
            export_of(bucket(dependencies=["urn:pulumi:prod::p::aws:kms/key:Key::gone"])),
            "resources[1].dependencies: names no resource of the document",
        ),
        (
            export_of(bucket(outputs={"tags": {f"k{i}": "v" for i in range(51)}})),
            "resources[1].outputs.tags: 51 tags; AWS allows at most 50",
        ),
        (
            export_of(bucket(outputs={"tags": {"Environment": "prod\u0000uction"}})),
            "resources[1].outputs.tags.Environment: not a tag value AWS accepts",
        ),
        (
            export_of(bucket(urn="urn:pulumi:prod::p::aws:s3/bucket:Bucket::" + "b" * 10_000)),
            "resources[1].urn: 10,042 characters, more than the 4,096",
        ),
        (
            '{"version": 3, "deployment": {"resources": []}}',
            "$.deployment.resources: empty: a deployed stack's export lists at least its stack",
        ),
    ],
)
def test_malformed_state_file_names_the_file_and_the_rule(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, text: str, complaint: str
) -> None:
    state = tmp_path / "export.json"
    state.write_text(text)
    code = run("policy", "--state", str(state), "--policy-pack", str(PROBE_PACK))
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {state}")
    assert complaint in err
    assert err.count("\n") == 1


def test_the_pack_its_config_and_the_accepted_risks_default_to_the_project(
    tmp_path: Path,
) -> None:
    parser = argparse.ArgumentParser()
    arguments.add_stack_arguments(parser)
    arguments.add_policy_pack_arguments(parser)
    arguments.add_accepted_risks_argument(parser)
    config = tmp_path / "policy_pack" / "config.dev.json"
    config.parent.mkdir()
    config.write_text("{}")
    args = parser.parse_args(["--project-dir", str(tmp_path), "--stack", "dev"])
    assert arguments.pack_dir(args) == tmp_path / "policy_pack"
    assert arguments.policy_config(args) == config
    assert arguments.accepted_risks(args) == tmp_path / "config" / "accepted-risks.yaml"
    assert arguments.policy_config(parser.parse_args(["--project-dir", str(tmp_path)])) is None


def test_a_build_folder_that_cannot_be_written_is_one_line_naming_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    not_a_folder = tmp_path / "build"
    not_a_folder.write_text("")
    code = run(*preview_args("--build-dir", str(not_a_folder)))
    assert code == 2
    err = capsys.readouterr().err
    assert (
        err
        == f"error: {not_a_folder}/preview/test: cannot write the run's files (Not a directory)\n"
    )


@pytest.mark.parametrize(
    ("argv", "complaint"),
    [
        (
            ["--sizes", "100,lots"],
            "argument --sizes: expected a whole number of at least 1, got 'lots'",
        ),
        (["--sizes", "0"], "argument --sizes: expected a whole number of at least 1, got '0'"),
        (["--sizes", ","], "argument --sizes: expected resource counts separated by commas"),
        (["--repeat", "-1"], "argument --repeat: expected a whole number of at least 1, got '-1'"),
    ],
)
def test_bench_refuses_sizes_and_repeats_that_are_not_counts(
    capsys: pytest.CaptureFixture[str], argv: list[str], complaint: str
) -> None:
    with pytest.raises(SystemExit) as exit_:
        run("bench", *argv)
    assert exit_.value.code == 2
    assert complaint in capsys.readouterr().err


def test_bench_stops_with_the_measured_previews_one_line_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The mini project has no `prod` stack, the one the benchmark measures.
    code = run(
        "bench", "--sizes", "100", "--project-dir", str(PROJECT), "--policy-pack", str(PROBE_PACK)
    )
    assert code == 2
    assert capsys.readouterr().err == (
        f"error: {PROJECT}/Pulumi.prod.yaml: cannot read: No such file or directory\n"
    )


def test_a_reader_that_leaves_early_ends_the_run_quietly(tmp_path: Path) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # as `| head` does once it has its lines
    with os.fdopen(write_end, "wb") as closed_pipe:
        completed = subprocess.run(
            [
                sys.executable,
                "-m",
                "compliance",
                "policy",
                "--state",
                str(FIXTURES / "states" / "mini-prod-export.json"),
                "--policy-pack",
                str(PROBE_PACK),
                "--build-dir",
                str(tmp_path),
            ],
            stdout=closed_pipe,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
    assert (completed.returncode, completed.stderr) == (141, "")


def test_an_sdk_that_broke_a_contract_is_one_line_naming_it_and_exit_3(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pulumi.runtime import settings  # noqa: PLC0415

    monkeypatch.delattr(settings, "ROOT")
    code = run(*preview_args("--build-dir", str(tmp_path)))
    assert code == 3
    err = capsys.readouterr().err
    assert err.startswith("error: pulumi ")
    assert "pulumi.runtime.settings.ROOT no longer exists" in err
    assert err.count("\n") == 1


def test_a_run_error_from_the_program_is_its_message_alone(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code = run(*preview_args("--build-dir", str(tmp_path), stack="run-error"))
    assert code == 2
    assert capsys.readouterr().err == "error: inventory.json: $.buckets: at least one bucket\n"


def test_the_benchmark_runs_from_any_folder(tmp_path: Path) -> None:
    """Its measured child is a module of the installed package, not a file of the project root."""
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "compliance.bench.preview",
            "--stack",
            "test",
            "--project-dir",
            str(PROJECT),
            "--policy-pack",
            str(PROBE_PACK),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    timings = json.loads(completed.stdout.strip().splitlines()[-1])
    assert timings["resources"] > 0
    assert timings["program"] > 0


def test_a_bug_is_a_traceback_and_a_line_saying_so_never_a_user_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    def broken(_: argparse.Namespace) -> int:
        raise KeyError("an internal mapping lacks this")

    monkeypatch.setitem(COMMANDS, "policy", replace(COMMANDS["policy"], run=broken))
    assert main(["policy", "--state", str(tmp_path / "any.json")]) == BUG_EXIT == 1
    error = capsys.readouterr().err
    assert error.startswith("Traceback (most recent call last):")
    assert "KeyError: 'an internal mapping lacks this'" in error
    assert error.endswith(BUG_MESSAGE + "\n")
