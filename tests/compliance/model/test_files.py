import os
from pathlib import Path

import pytest

from compliance.model.errors import UserError
from compliance.model.files import (
    contained,
    read_json,
    read_text,
    read_yaml_mapping,
    write_atomically,
)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "Pulumi.dates.yaml"
    path.write_text(text)
    return path


def test_yaml_dates_are_read_as_written_for_their_reader_to_check(tmp_path: Path) -> None:
    path = write(tmp_path, "config:\n  payments:migrationDate: 2026-12-01\n  bad: 2020-13-45\n")
    assert read_yaml_mapping(path, UserError) == {
        "config": {"payments:migrationDate": "2026-12-01", "bad": "2020-13-45"}
    }


def test_malformed_yaml_is_one_line_naming_file_line_and_problem(tmp_path: Path) -> None:
    path = write(tmp_path, "config:\n  key: [unclosed\n")
    with pytest.raises(UserError) as raised:
        read_yaml_mapping(path, UserError)
    message = str(raised.value)
    assert message.startswith(f"{path}: not valid YAML: line 3, column 1: ")
    assert "\n" not in message


def test_a_yaml_list_is_not_a_mapping(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"must be a YAML map$"):
        read_yaml_mapping(write(tmp_path, "- one\n"), UserError)


JSON_REFUSED = [
    (b'{"a": 1, "a": 2}', "$.a: a duplicate key"),
    (b'{"rules": [{"x": 1}, {"x": 1, "x": 2}]}', "$.rules[1].x: a duplicate key"),
    (b'{"odd key": {"k": 1, "k": 1}}', '$["odd key"].k: a duplicate key'),
    (b'{"n": NaN}', "$.n: NaN is not a JSON number"),
    (b'{"n": [Infinity]}', "$.n[0]: Infinity is not a JSON number"),
    (b'{"n": -Infinity}', "$.n: -Infinity is not a JSON number"),
    (b'{"n": 1e999}', "$.n: 1e999 is not a JSON number"),
    (b'{"n": ' + b"9" * 5000 + b"}", "$.n: an integer of 5000 digits (at most 30)"),
    (b'{"s": "\\ud800"}', "$.s: a lone surrogate"),
    (b'{"\\udfff": 1}', "$: a lone surrogate"),
    (b"[" * 101 + b"]" * 101, "nested more than 100 levels deep"),
    (b"[" * 100000 + b"]" * 100000, "nested more than 100 levels deep"),
    (b'\xef\xbb\xbf{"a": 1}', "starts with a byte order mark: save it as UTF-8 without one"),
    ('{"a": 1}'.encode("utf-16"), "UTF-16 (it starts with a UTF-16 byte order mark)"),
    ('{"a": 1}'.encode("utf-16-le"), "line 1: a NUL byte: UTF-16 or binary"),
    (b'{"a":\n "caf\xe9"}', "line 2: not UTF-8 (byte 0xe9 at offset 11)"),
]


@pytest.mark.parametrize(("content", "rule"), JSON_REFUSED)
def test_strict_json_refuses_with_one_line_naming_the_place_and_rule(
    tmp_path: Path, content: bytes, rule: str
) -> None:
    path = tmp_path / "state.json"
    path.write_bytes(content)
    with pytest.raises(UserError) as raised:
        read_json(path, UserError)
    message = str(raised.value)
    assert message.startswith(f"{path}: ")
    assert rule in message
    assert "\n" not in message
    assert len(message) < 300


def test_strict_json_reads_what_is_valid(tmp_path: Path) -> None:
    path = tmp_path / "ok.json"
    path.write_text('{"a": [1, 2.5, -3, "x", null, true], "b": {"c": {}}, "d": ' + "9" * 30 + "}")
    assert read_json(path, UserError) == {
        "a": [1, 2.5, -3, "x", None, True],
        "b": {"c": {}},
        "d": int("9" * 30),
    }


YAML_REFUSED = [
    ("a: &x [1, 2]\nb: *x\n", "line 2, column 4: a YAML alias (*name): aliases are refused"),
    (
        "l0: &l0 [a, a]\nl1: &l1 [*l0, *l0]\nl2: [*l1, *l1]\n",
        "line 2, column 10: a YAML alias",
    ),
    ("accepted_risks: []\naccepted_risks: [x]\n", "line 2, column 1: a duplicate key"),
    (
        "config:\n  aws:region: eu-west-1\n  aws:region: us-east-1\n",
        "line 3, column 3: a duplicate",
    ),
    ("n: .nan\n", "line 1, column 4: .nan (NaN and infinities are refused)"),
    ("n: -.inf\n", "line 1, column 4: -.inf"),
    ("n: " + "7" * 5000 + "\n", "line 1, column 4: an integer of 5000 digits (at most 30)"),
    ("x: " + "[" * 200 + "]" * 200 + "\n", "nested more than 100 levels deep"),
    ('s: "\\ud800"\n', "$.s: a lone surrogate"),
]


@pytest.mark.parametrize(("content", "rule"), YAML_REFUSED)
def test_strict_yaml_refuses_with_one_line_naming_the_line_and_rule(
    tmp_path: Path, content: str, rule: str
) -> None:
    path = write(tmp_path, content)
    with pytest.raises(UserError) as raised:
        read_yaml_mapping(path, UserError)
    message = str(raised.value)
    assert message.startswith(f"{path}: ")
    assert rule in message
    assert "\n" not in message


def test_only_regular_files_are_read_and_a_pipe_does_not_block(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for path, kind in [
        (fifo, "a pipe"),
        (tmp_path, "a folder"),
        (Path("/dev/zero"), "a character device"),
    ]:
        with pytest.raises(UserError) as raised:
            read_text(path, UserError)
        assert str(raised.value) == f"{path}: cannot read: {kind}, not a regular file"


def test_a_file_over_the_size_limit_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    path.write_bytes(b" " * 1025)
    with pytest.raises(UserError, match=r"larger than the 1,024-byte limit$"):
        read_text(path, UserError, limit=1024)
    assert read_text(path, UserError, limit=1025) == " " * 1025


def test_a_path_is_written_only_under_its_folder(tmp_path: Path) -> None:
    build = tmp_path / "build"
    assert contained(build / "preview" / "prod", build, UserError) == build / "preview" / "prod"
    for escaping in (build / ".." / "x", build / "preview" / "../../../../tmp/x", Path("/tmp/x")):
        with pytest.raises(UserError, match="nothing is written outside it"):
            contained(escaping, build, UserError)
    (tmp_path / "elsewhere").mkdir()
    build.mkdir()
    (build / "link").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(UserError, match="nothing is written outside it"):
        contained(build / "link" / "plan.json", build, UserError)


def test_a_file_is_replaced_whole_and_a_planted_link_beside_it_is_not_followed(
    tmp_path: Path,
) -> None:
    target = tmp_path / "precious"
    target.write_text("keep")
    out = tmp_path / "build" / "stack-export.json"
    out.parent.mkdir()
    (out.parent / "stack-export.json.partial").symlink_to(target)
    write_atomically(out, "new")
    write_atomically(out, "newer")
    assert out.read_text() == "newer"
    assert target.read_text() == "keep"
    assert sorted(p.name for p in out.parent.iterdir()) == [
        "stack-export.json",
        "stack-export.json.partial",
    ]
