from pathlib import Path

import pytest

from compliance.model.errors import UserError
from compliance.model.files import read_yaml_mapping


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
