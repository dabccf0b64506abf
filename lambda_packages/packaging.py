"""Byte-for-byte reproducible deployment zips, one per function.

A function's zip holds its folder (`app.py` at the root, handler `app.handler`) and the modules of
the shared `payments_core` package its code imports, directly or through each other, and nothing
else: no caches, no tests, no shared module it never loads, and no powertools or boto3 (the stack
attaches the AWS-managed Powertools layer; the runtime ships boto3). Entries are sorted, dated
1980-01-01, mode 0644 and stored uncompressed, so the bytes depend only on the code and not on the
machine, its clock, umask or zlib build; the stack keys the uploaded object by the zip's SHA-256,
so a code change, and only a code change, updates a function.

    python -m lambda_packages.packaging [--out DIR] [package ...]
"""

import argparse
import ast
import base64
import hashlib
import io
import os
import sys
import tempfile
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

PACKAGES_ROOT = Path(__file__).resolve().parent
# A source root, not a package: its name is not importable on purpose, so `payments_core` is a
# top-level package here (tests, mypy) exactly as it is at the root of each zip.
SHARED_SOURCE_ROOT = PACKAGES_ROOT / "shared-code"
SHARED_PACKAGE = "payments_core"
DEFAULT_OUT_DIR = Path("build/lambda")

_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
_FILE_MODE = 0o100644
_UNIX = 3
_EXCLUDED_DIRECTORIES = frozenset({"__pycache__", "tests", "test"})


class PackagingError(Exception):
    """A package that cannot be built: unknown name, files that would collide in the zip, or an
    output folder it cannot be written to."""


@dataclass(frozen=True)
class BuiltPackage:
    package: str
    path: Path
    size: int
    sha256_hex: str
    sha256_base64: str
    """Base64 of the SHA-256 digest: what Lambda's `source_code_hash` expects."""


def function_packages() -> tuple[str, ...]:
    """Every function folder: a folder of `lambda_packages/` holding an `app.py`."""
    return tuple(
        sorted(folder.name for folder in PACKAGES_ROOT.iterdir() if (folder / "app.py").is_file())
    )


def build_package(package: str, out_dir: Path) -> BuiltPackage:
    """Build `out_dir/<package>.zip` (atomically replacing an older one) and describe it."""
    known = function_packages()
    if package not in known:
        raise PackagingError(
            f"lambda package {package!r} does not exist: expected a folder "
            f"lambda_packages/{package}/ with an app.py (known: {', '.join(known)})"
        )
    content = _zip_bytes(_package_files(package))
    digest = hashlib.sha256(content).digest()
    path = out_dir / f"{package}.zip"
    try:
        _write_atomically(path, content)
    except OSError as error:
        raise PackagingError(f"cannot write {path}: {error.strerror or error}") from None
    return BuiltPackage(
        package=package,
        path=path,
        size=len(content),
        sha256_hex=digest.hex(),
        sha256_base64=base64.b64encode(digest).decode("ascii"),
    )


def _package_files(package: str) -> dict[str, Path]:
    """Archive name -> source file: the function's folder at the root, beside the shared modules
    its code needs."""
    files = dict(_files_under(PACKAGES_ROOT / package))
    if any(name.split("/")[0] == SHARED_PACKAGE for name in files):
        raise PackagingError(
            f"lambda_packages/{package}/{SHARED_PACKAGE} must not exist: "
            "it would shadow the shared package in the zip"
        )
    needed = _shared_modules_needed(files.values())
    shared = _files_under(SHARED_SOURCE_ROOT / SHARED_PACKAGE)
    return files | {f"{SHARED_PACKAGE}/{name}": path for name, path in shared if name in needed}


def _shared_modules_needed(sources: Iterable[Path]) -> set[str]:
    """The shared package's `__init__.py` and the module files `sources` import, directly or
    through each other (the package is flat and imports itself absolutely)."""
    package = SHARED_SOURCE_ROOT / SHARED_PACKAGE
    needed = {"__init__.py"}
    pending = [path for path in sources if path.suffix == ".py"]
    while pending:
        for module in _shared_imports(pending.pop()):
            path = package / f"{module}.py"
            if path.is_file() and path.name not in needed:
                needed.add(path.name)
                pending.append(path)
    return needed


def _shared_imports(source: Path) -> Iterator[str]:
    """Names a module imports from the shared package: `import payments_core.x`,
    `from payments_core.x import ...`, `from payments_core import x`."""
    for node in ast.walk(ast.parse(source.read_bytes(), filename=str(source))):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        else:
            continue
        for module in modules:
            root, _, rest = module.partition(".")
            if root == SHARED_PACKAGE and rest:
                yield rest.split(".")[0]


def _files_under(folder: Path) -> Iterator[tuple[str, Path]]:
    for path in folder.rglob("*"):
        relative = path.relative_to(folder)
        if path.is_file() and _is_shipped(relative):
            yield relative.as_posix(), path


def _is_shipped(relative: Path) -> bool:
    if any(part in _EXCLUDED_DIRECTORIES or part.startswith(".") for part in relative.parts):
        return False
    name = relative.name
    return not (
        name.endswith((".pyc", ".pyo")) or name.startswith("test_") or name == "conftest.py"
    )


def _zip_bytes(files: dict[str, Path]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for name in sorted(files):
            entry = zipfile.ZipInfo(name, date_time=_ZIP_EPOCH)
            entry.create_system = _UNIX
            entry.external_attr = _FILE_MODE << 16
            archive.writestr(entry, files[name].read_bytes())
    return buffer.getvalue()


def _write_atomically(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(
        dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False
    ) as temporary:
        temporary.write(content)
    try:
        os.chmod(temporary.name, 0o644)
        os.replace(temporary.name, path)
    except BaseException:
        Path(temporary.name).unlink(missing_ok=True)
        raise


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m lambda_packages.packaging",
        description="Build each function's reproducible deployment zip.",
    )
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT_DIR, help="output folder (default: build/lambda)"
    )
    parser.add_argument("packages", nargs="*", help="function folders (default: all of them)")
    arguments = parser.parse_args(argv)
    try:
        for package in arguments.packages or function_packages():
            built = build_package(package, arguments.out)
            print(f"{built.path}  {built.size} bytes  sha256 {built.sha256_hex}")
    except PackagingError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
