"""Deployment zips: reproducible to the byte, holding only what a function needs."""

import base64
import hashlib
import os
import py_compile
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from lambda_packages.packaging import (
    PACKAGES_ROOT,
    SHARED_SOURCE_ROOT,
    PackagingError,
    build_package,
    function_packages,
    main,
)
from tests.lambda_packages.payments_harness import function_environment, payment_body

FUNCTIONS = ("payment_processor", "payment_validator")


def test_function_packages_are_the_folders_with_an_app() -> None:
    assert function_packages() == FUNCTIONS


@pytest.mark.parametrize("package", FUNCTIONS)
def test_zip_built_twice_is_identical(package: str, tmp_path: Path) -> None:
    first = build_package(package, tmp_path / "first")
    second = build_package(package, tmp_path / "second")

    assert first.path.read_bytes() == second.path.read_bytes()
    assert (first.sha256_hex, first.sha256_base64) == (second.sha256_hex, second.sha256_base64)


def test_hashes_describe_the_written_zip(tmp_path: Path) -> None:
    built = build_package("payment_processor", tmp_path)

    content = built.path.read_bytes()
    assert built.path == tmp_path / "payment_processor.zip"
    assert built.size == len(content)
    assert built.sha256_hex == hashlib.sha256(content).hexdigest()
    assert built.sha256_base64 == base64.b64encode(hashlib.sha256(content).digest()).decode()


def test_source_timestamps_do_not_change_the_zip(tmp_path: Path) -> None:
    before = build_package("payment_validator", tmp_path).sha256_hex
    app = PACKAGES_ROOT / "payment_validator" / "app.py"
    stat = app.stat()
    os.utime(app, (stat.st_atime, stat.st_mtime + 3600))
    try:
        after = build_package("payment_validator", tmp_path).sha256_hex
    finally:
        os.utime(app, (stat.st_atime, stat.st_mtime))

    assert after == before


VALIDATOR_MODULES = (
    "__init__",
    "card_numbers",
    "config",
    "currencies",
    "documents",
    "validation",
)
SHARED_MODULES = {
    "payment_processor": (
        *VALIDATOR_MODULES,
        "http_api",
        "identifiers",
        "receipts",
        "transactions",
    ),
    "payment_validator": VALIDATOR_MODULES,
}


@pytest.mark.parametrize("package", FUNCTIONS)
def test_zip_holds_the_app_and_the_shared_modules_it_imports_only(
    package: str, tmp_path: Path
) -> None:
    py_compile.compile(str(PACKAGES_ROOT / package / "app.py"))  # leaves a __pycache__ behind
    py_compile.compile(str(SHARED_SOURCE_ROOT / "payments_core" / "config.py"))

    with zipfile.ZipFile(build_package(package, tmp_path).path) as archive:
        names = archive.namelist()

    assert names == ["app.py", *sorted(f"payments_core/{m}.py" for m in SHARED_MODULES[package])]


def test_processor_zip_holds_every_shared_module() -> None:
    """The processor imports them all: a module no function needs would be dead code."""
    every = {path.stem for path in (SHARED_SOURCE_ROOT / "payments_core").glob("*.py")}
    assert set(SHARED_MODULES["payment_processor"]) == every


def test_entries_are_sorted_dated_1980_mode_0644_and_stored(tmp_path: Path) -> None:
    with zipfile.ZipFile(build_package("payment_processor", tmp_path).path) as archive:
        entries = archive.infolist()

    assert [entry.filename for entry in entries] == sorted(entry.filename for entry in entries)
    for entry in entries:
        assert entry.date_time == (1980, 1, 1, 0, 0, 0)
        assert entry.external_attr >> 16 == 0o100644
        assert entry.compress_type == zipfile.ZIP_STORED


def test_build_replaces_an_old_zip_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    (tmp_path / "payment_validator.zip").write_bytes(b"stale")

    built = build_package("payment_validator", tmp_path)

    assert zipfile.is_zipfile(built.path)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["payment_validator.zip"]


def test_unknown_package_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(PackagingError, match="lambda package 'payment_refunds' does not exist"):
        build_package("payment_refunds", tmp_path)
    assert not tmp_path.exists() or not any(tmp_path.iterdir())


def run_unzipped(package: str, tmp_path: Path, statement: str) -> str:
    """Unpack the zip as Lambda does and run `statement` after importing its `app`, with nothing
    from this checkout on the path: the last line it prints."""
    with zipfile.ZipFile(build_package(package, tmp_path).path) as archive:
        archive.extractall(tmp_path / "task")
    task_root = tmp_path / "task"
    script = (
        f"import sys; sys.path.insert(0, {str(task_root)!r})\n"
        "import json, app\n"
        "class Context:\n"
        "    aws_request_id = function_name = invoked_function_arn = 'x'\n"
        "    memory_limit_in_mb = 128\n"
        f"{statement}\n"
    )
    result = subprocess.run(
        [sys.executable, "-I", "-c", script],
        cwd=task_root,
        env={
            **function_environment("unused"),
            "POWERTOOLS_TRACE_DISABLED": "true",
            "AWS_DEFAULT_REGION": "eu-west-1",
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()[-1]


def test_unzipped_validator_runs_on_its_own(tmp_path: Path) -> None:
    """Unpacked as Lambda does, the handler imports `payments_core` from the zip alone."""
    verdict = run_unzipped(
        "payment_validator",
        tmp_path,
        f"print(json.dumps(app.handler({payment_body()!r}, Context())))",
    )
    assert verdict == '{"valid": true, "problems": []}'


def test_unzipped_processor_starts_on_its_own(tmp_path: Path) -> None:
    started = run_unzipped("payment_processor", tmp_path, "print(app.settings.transactions_table)")
    assert started == function_environment("unused")["TRANSACTIONS_TABLE"]


def test_command_line_prints_each_zip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--out", str(tmp_path)]) == 0

    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == [
        str(tmp_path / f"{package}.zip") for package in FUNCTIONS
    ]
    built = build_package("payment_processor", tmp_path)
    assert lines[0] == f"{built.path}  {built.size} bytes  sha256 {built.sha256_hex}"


def test_command_line_reports_an_unknown_package_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--out", str(tmp_path), "nope"]) == 2

    error = capsys.readouterr().err
    assert error.startswith("error: lambda package 'nope' does not exist")
    assert len(error.splitlines()) == 1


def test_command_line_reports_an_unwritable_output_folder_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    not_a_folder = tmp_path / "out"
    not_a_folder.write_text("a file")

    assert main(["--out", str(not_a_folder), "payment_validator"]) == 2

    error = capsys.readouterr().err
    assert error == f"error: cannot write {not_a_folder / 'payment_validator.zip'}: File exists\n"
    assert not_a_folder.read_text() == "a file"
