"""Hostile and careless input files through the commands that read them: each ends in one line
naming the file, the place and the rule, exit 2, quickly, with nothing written; never a
traceback, a hang or a pass."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from compliance.cli import main
from tests.compliance.test_cli import PROBE_PACK, PROJECT, STACK_RESOURCE, bucket, export_of

VALID_STATE = export_of(bucket())
BILLION_LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + n)}: &{chr(98 + n)} [{', '.join(['*' + chr(97 + n)] * 9)}]\n" for n in range(8)
)


def _fifo(path: Path) -> None:
    os.mkfifo(path)


StateWriter = Callable[[Path], None]
STATES: dict[str, tuple[StateWriter | str | bytes, str]] = {
    "a pipe": (_fifo, "cannot read: a pipe, not a regular file"),
    "a folder": (lambda p: p.mkdir(), "cannot read: a folder, not a regular file"),
    "UTF-16": (VALID_STATE.encode("utf-16"), "UTF-16"),
    "a byte order mark": (b"\xef\xbb\xbf" + VALID_STATE.encode(), "starts with a byte order mark"),
    "Latin-1": (VALID_STATE.replace('"b"', '"caf\u00e9"').encode("latin-1"), "not UTF-8"),
    "NaN": (VALID_STATE.replace('"id": "b"', '"id": NaN'), "].id: NaN is not a JSON number"),
    "5000 digits": (
        VALID_STATE.replace('"id": "b"', '"size": ' + "9" * 5000),
        "].size: an integer of 5000 digits",
    ),
    "a lone surrogate": (VALID_STATE.replace('"id": "b"', '"id": "\\ud800"'), "a lone surrogate"),
    "deep nesting": ('{"a": ' * 5000 + "1" + "}" * 5000, "nested more than 100 levels deep"),
    "a duplicate key": (
        VALID_STATE.replace('"id": "b"', '"id": "b", "id": "c"'),
        "$.deployment.resources[1].id: a duplicate key",
    ),
    "a duplicate URN": (export_of(bucket(), bucket(tags=False)), "the URN of resources[1] again"),
    "no stack resource": (export_of(bucket(), stack=False), "0 stack resources"),
    "a traversal stack name": (
        export_of(bucket(), stack_name="../../escaped"),
        "is not a name",
    ),
    "empty": ('{"version": 3, "deployment": {"resources": []}}', "empty"),
}


def _write_state(path: Path, content: StateWriter | str | bytes) -> None:
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    elif isinstance(content, bytes):
        path.write_bytes(content)
    else:
        content(path)


@pytest.mark.parametrize("command", ["policy", "checkov", "audit"])
@pytest.mark.parametrize("case", sorted(STATES))
def test_a_hostile_state_file_is_one_line_and_exit_2(
    command: str, case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    content, rule = STATES[case]
    state = tmp_path / "state.json"
    _write_state(state, content)
    build, out = tmp_path / "build", tmp_path / "reports"
    args = [command, "--state", str(state), "--build-dir", str(build)]
    if command != "checkov":
        args += ["--policy-pack", str(PROBE_PACK)]
    if command == "audit":
        args += ["--out", str(out)]
    started = time.monotonic()
    assert main(args) == 2
    assert time.monotonic() - started < 30
    error = capsys.readouterr().err
    assert error.startswith(f"error: {state}: "), error
    assert rule in error
    assert error.count("\n") == 1
    assert not build.exists()
    assert not out.exists()
    # Nothing but the input (and the report folder's lock, for an audit).
    assert {p.name for p in tmp_path.iterdir()} - {".reports.lock"} == {"state.json"}


def test_a_device_as_the_state_file_is_refused_unread(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policy", "--state", "/dev/zero", "--policy-pack", str(PROBE_PACK)]) == 2
    assert capsys.readouterr().err == (
        "error: /dev/zero: cannot read: a character device, not a regular file\n"
    )


def test_a_policy_config_with_a_duplicate_level_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = tmp_path / "state.json"
    state.write_text(VALID_STATE)
    config = tmp_path / "policy.json"
    config.write_text('{"all": "mandatory", "all": "disabled"}')
    args = ["policy", "--state", str(state), "--policy-pack", str(PROBE_PACK)]
    assert main([*args, "--policy-pack-config", str(config), "--build-dir", str(tmp_path)]) == 2
    assert (
        capsys.readouterr().err
        == f"error: {config}: $.all: a duplicate key (each key once: which one counts is unclear)\n"
    )


@pytest.mark.parametrize(
    ("content", "rule"),
    [
        (BILLION_LAUGHS, "line 2, column 8: a YAML alias (*name): aliases are refused"),
        (
            "accepted_risks:\n  - check: CKV_AWS_1\n    expires: 2020-01-01\n"
            "    expires: 2099-01-01\n",
            "line 4, column 5: a duplicate key 'expires'",
        ),
    ],
)
def test_accepted_risks_that_would_cost_or_mislead_are_refused(
    content: str, rule: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = tmp_path / "state.json"
    state.write_text(VALID_STATE)
    risks = tmp_path / "risks.yaml"
    risks.write_text(content)
    started = time.monotonic()
    code = main(
        [
            "checkov",
            "--state",
            str(state),
            "--accepted-risks",
            str(risks),
            "--build-dir",
            str(tmp_path / "b"),
        ]
    )
    assert code == 2
    assert time.monotonic() - started < 30
    error = capsys.readouterr().err
    assert error.startswith(f"error: {risks}: {rule}")
    assert error.count("\n") == 1


def test_a_stack_config_with_a_second_region_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "Pulumi.yaml").write_text((PROJECT / "Pulumi.yaml").read_text())
    stack_config = project / "Pulumi.dup.yaml"
    stack_config.write_text("config:\n  aws:region: eu-west-1\n  aws:region: us-east-1\n")
    args = ["preview", "--offline", "--project-dir", str(project), "--stack", "dup"]
    assert main([*args, "--policy-pack", str(PROBE_PACK), "--build-dir", str(tmp_path / "b")]) == 2
    assert capsys.readouterr().err == (
        f"error: {stack_config}: line 3, column 3: a duplicate key 'aws:region' "
        "(each key once: which one counts is unclear)\n"
    )


def test_the_same_bucket_twice_is_no_longer_a_pass(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = tmp_path / "state.json"
    document = json.loads(export_of(bucket(), bucket(tags=False)))
    assert document["deployment"]["resources"][0] == STACK_RESOURCE
    state.write_text(json.dumps(document))
    assert main(["policy", "--state", str(state), "--policy-pack", str(PROBE_PACK)]) == 2
    assert "✅" not in capsys.readouterr().out
