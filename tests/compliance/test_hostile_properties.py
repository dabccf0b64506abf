"""Property-based hostile input: valid files mutated at random (truncated, values swapped for other
types, huge or deeply nested values, duplicate keys, NaN, big integers, control characters,
traversal names, lone surrogates, other encodings), read by the readers every command uses and
run through the commands themselves. Every input either reads or is one `UserError` line naming
the file; a command exits 0, 1 or 2, with no traceback on 2, within a time bound, writing nothing
outside its folders and leaving the previous report set whole unless a new one replaced it."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compliance.cli import main
from compliance.model.errors import UserError
from compliance.model.files import read_json, read_yaml_mapping
from compliance.model.graph import ResourceGraph
from compliance.preview.policy_config import load_policy_config
from tests.compliance.audit.audit_fixtures import PACK
from tests.compliance.test_cli import PROBE_PACK, bucket, export_of

VALID_EXPORT = json.loads(
    export_of(bucket(), bucket(urn="urn:pulumi:prod::p::aws:s3/bucket:Bucket::c"))
)
VALID_RISKS = (Path(__file__).resolve().parents[2] / "config" / "accepted-risks.yaml").read_text()
VALID_POLICY_CONFIG = {"all": "advisory", "s3-bucket-cmk-encryption": "mandatory"}

ODD_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40),
    st.sampled_from(
        [
            "../../../../tmp/x",
            "/tmp/x",
            "\x00\x1b[2J\x85\u2028",
            "A" * 100_000,
            {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270"},
            [[[[[[[[[[[]]]]]]]]]]],
            {},
            [],
        ]
    ),
)
TEXT_EDITS = st.sampled_from(
    [
        "truncate",
        "duplicate-key",
        "nan",
        "big-int",
        "deep",
        "surrogate",
        "utf-16",
        "bom",
        "latin-1",
        "none",
    ]
)


def _paths(value: Any, where: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [where]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*where, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*where, index))
    return found


def _replaced(document: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    copy = json.loads(json.dumps(document))
    target = copy
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = new
    return copy


@st.composite
def mutated(draw: st.DrawFn, valid: Any) -> bytes:
    document = valid
    for _ in range(draw(st.integers(0, 3))):
        paths = _paths(document)
        document = _replaced(document, draw(st.sampled_from(paths)), draw(ODD_VALUES))
    text = json.dumps(document)
    edit = draw(TEXT_EDITS)
    if edit == "truncate":
        text = text[: draw(st.integers(0, len(text)))]
    elif edit == "duplicate-key" and text.startswith("{") and len(text) > 2:
        text = '{"version": 3, ' + text[1:]
    elif edit == "nan":
        text = text.replace("3", "NaN", 1)
    elif edit == "big-int":
        text = text.replace("3", "3" * draw(st.integers(31, 6000)), 1)
    elif edit == "deep":
        depth = draw(st.integers(90, 3000))
        text = text.replace("[]", "[" * depth + "]" * depth, 1) if "[]" in text else text
    elif edit == "surrogate":
        text = text.replace('"b"', '"\\ud800"', 1)
    if edit == "utf-16":
        return text.encode("utf-16")
    if edit == "bom":
        return b"\xef\xbb\xbf" + text.encode()
    if edit == "latin-1":
        return text.replace("b", "\u00e9", 1).encode("latin-1")
    return text.encode("utf-8", errors="surrogatepass")


def _one_line_naming(error: UserError, path: Path) -> None:
    message = str(error)
    assert message.startswith(f"{path}: "), message
    assert "\n" not in message
    assert len(message) < 1000


@settings(max_examples=700, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(content=mutated(VALID_EXPORT))
def test_a_mutated_state_file_reads_as_a_graph_or_is_one_line(
    content: bytes, tmp_path_factory: pytest.TempPathFactory
) -> None:
    path = tmp_path_factory.mktemp("state") / "state.json"
    path.write_bytes(content)
    try:
        graph = ResourceGraph.load(path)
    except UserError as error:
        _one_line_naming(error, path)
        return
    urns = [r.urn for r in graph]
    assert len(urns) == len(set(urns))
    assert graph.root is not None
    assert "/" not in graph.stack
    assert ".." not in graph.stack


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(content=mutated(VALID_POLICY_CONFIG))
def test_a_mutated_policy_config_loads_or_is_one_line(
    content: bytes, tmp_path_factory: pytest.TempPathFactory
) -> None:
    path = tmp_path_factory.mktemp("config") / "policy.json"
    path.write_bytes(content)
    try:
        load_policy_config(path, PACK)
    except UserError as error:
        _one_line_naming(error, path)


@st.composite
def mutated_yaml(draw: st.DrawFn) -> bytes:
    text = VALID_RISKS
    edit = draw(
        st.sampled_from(["truncate", "alias", "duplicate", "nan", "big-int", "deep", "utf-16"])
    )
    if edit == "truncate":
        text = text[: draw(st.integers(0, len(text)))]
    elif edit == "alias":
        text = "x: &a [1, 2]\ny: [*a, *a]\n" + text
    elif edit == "duplicate":
        text = text + text[text.index("accepted_risks") :]
    elif edit == "nan":
        text = text + "extra: .nan\n"
    elif edit == "big-int":
        text = text + "extra: " + "1" * draw(st.integers(31, 6000)) + "\n"
    elif edit == "deep":
        depth = draw(st.integers(90, 2000))
        text = text + "extra: " + "[" * depth + "]" * depth + "\n"
    return text.encode("utf-16") if edit == "utf-16" else text.encode()


@settings(max_examples=150, deadline=None)
@given(content=mutated_yaml())
def test_mutated_yaml_reads_as_a_mapping_or_is_one_line(
    content: bytes, tmp_path_factory: pytest.TempPathFactory
) -> None:
    path = tmp_path_factory.mktemp("yaml") / "accepted-risks.yaml"
    path.write_bytes(content)
    try:
        read_yaml_mapping(path, UserError)
    except UserError as error:
        _one_line_naming(error, path)


# capsys is read (and so emptied) by every example.
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(content=mutated(VALID_EXPORT))
def test_policy_on_a_mutated_state_exits_with_its_meaning_and_writes_only_its_folder(
    content: bytes, tmp_path_factory: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path_factory.mktemp("policy")
    state = folder / "state.json"
    state.write_bytes(content)
    build = folder / "build"
    started = time.monotonic()
    code = main(
        [
            "policy",
            "--state",
            str(state),
            "--policy-pack",
            str(PROBE_PACK),
            "--build-dir",
            str(build),
        ]
    )
    assert time.monotonic() - started < 60
    captured = capsys.readouterr()
    assert code in (0, 1, 2)
    if code == 2:
        assert "Traceback" not in captured.err
        assert captured.err.startswith(f"error: {state}: ")
        assert captured.err.count("\n") == 1
        assert not build.exists()
    else:
        written = {p.relative_to(folder).parts[0] for p in folder.rglob("*")}
        assert written <= {"state.json", "build"}
        assert read_json(build / "preview" / "prod" / "stack-export.json", UserError)


MEMORY_LIMIT = 1024 * 1024 * 1024
CPU_SECONDS = 20


def _limited() -> None:
    """In the child: at most 1 GiB of address space and 20 s of CPU, or it dies trying."""
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))


def test_pathological_files_are_refused_within_time_and_memory_limits(tmp_path: Path) -> None:
    """Each refused in a fresh interpreter held to 1 GiB and 20 s of CPU."""
    cases = {
        "huge-name.json": export_of(
            bucket(urn="urn:pulumi:prod::p::aws:s3/bucket:Bucket::" + "n" * 10_000_000)
        ),
        "deep.json": '{"a": ' * 200_000 + "1" + "}" * 200_000,
        "big-int.json": '{"version": ' + "9" * 1_000_000 + "}",
        "many-tags.json": export_of(
            bucket(outputs={"tags": {f"k{i}": "v" for i in range(100_000)}})
        ),
    }
    for name, text in cases.items():
        (tmp_path / name).write_text(text)
    for state in [*(tmp_path / name for name in cases), Path("/dev/zero")]:
        started = time.monotonic()
        completed = subprocess.run(
            [sys.executable, "-m", "compliance", "policy", "--state", str(state)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            preexec_fn=_limited,
        )
        assert completed.returncode == 2, (state, completed.stderr[-2000:])
        assert completed.stderr.startswith(f"error: {state}: ")
        assert completed.stderr.count("\n") == 1
        assert time.monotonic() - started < 30, state
