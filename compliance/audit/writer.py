"""Write the four report files as one set: rendered and checked first, written into a fresh folder
beside `--out`, then swapped in for the old set in one step.

The folder is locked for the whole run (`ReportFolder`, taken before the analysis starts), so two
audits into one `--out` cannot interleave: the second stops with one line. A run killed at any
point leaves either the old set or the new one, whole, never a mix; what a killed run left beside
the folder is removed by the next. On Linux the swap is one `renameat2(RENAME_EXCHANGE)`; where
that is missing, two renames, between which `--out` is briefly absent (never mixed).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import IO, Self

from compliance.audit.html import render_html
from compliance.audit.json_report import render_json
from compliance.audit.junit import render_junit
from compliance.audit.model import AuditReport
from compliance.audit.sarif import render_sarif
from compliance.model.errors import UserError
from compliance.model.secrets import assert_clean

RENDERERS: dict[str, Callable[[AuditReport], str]] = {
    "audit.json": render_json,
    "audit.sarif": render_sarif,
    "junit.xml": render_junit,
    "audit.html": render_html,
}
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


class ReportWriteError(UserError):
    """The report folder cannot take the files (`--out` names a file, a folder holding other
    files, a place without room or permission, or one another audit is writing)."""


class ReportFolder:
    """`--out`, locked against other audits from `__enter__` to `__exit__`."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self._real = out_dir
        self._lock: IO[bytes] | None = None

    def __enter__(self) -> Self:
        try:
            self._real = self.out_dir.resolve()
            self._real.parent.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(
                self._real.parent / f".{self._real.name}.lock",
                os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC,
                0o644,
            )
        except OSError as error:
            raise self._error(error) from error
        self._lock = os.fdopen(descriptor, "wb")
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._release()
            raise ReportWriteError(
                f"{self.out_dir}: another audit is writing its reports there: run again once it "
                "has finished, or give another --out"
            ) from None
        try:
            self._check_holds_only_reports()
            self._remove_leftovers()
        except BaseException:
            self._release()
            raise
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._release()

    def write(self, report: AuditReport, secrets: frozenset[str]) -> list[Path]:
        """Render every file, refuse any that shows a secret, then replace the set at once."""
        rendered = {name: render(report) for name, render in RENDERERS.items()}
        for name, text in rendered.items():
            assert_clean(name, text, secrets)
        try:
            fresh = Path(tempfile.mkdtemp(prefix=f".{self._real.name}.new-", dir=self._real.parent))
            for name, text in rendered.items():
                # A fresh folder of our own, the files created exclusively: no link is followed.
                with os.fdopen(
                    os.open(fresh / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW),
                    "w",
                    encoding="utf-8",
                ) as stream:
                    stream.write(text)
            os.chmod(fresh, 0o755)
            self._swap_in(fresh)
        except OSError as error:
            raise self._error(error) from error
        finally:
            self._remove_leftovers()
        return [self.out_dir / name for name in rendered]

    def _swap_in(self, fresh: Path) -> None:
        if not self._real.exists():
            fresh.rename(self._real)
        elif _exchange(fresh, self._real):
            shutil.rmtree(fresh)  # now the old set
        else:
            old = Path(tempfile.mkdtemp(prefix=f".{self._real.name}.old-", dir=self._real.parent))
            old.rmdir()
            self._real.rename(old)
            fresh.rename(self._real)

    def _check_holds_only_reports(self) -> None:
        """What the swap replaces must be only a report set: never a user's other files."""
        if self._real.is_symlink() or (self._real.exists() and not self._real.is_dir()):
            raise ReportWriteError(
                f"{self.out_dir}: cannot write the audit report there: not a folder"
            )
        if not self._real.exists():
            return
        others = sorted(
            entry.name
            for entry in self._real.iterdir()
            if entry.name not in RENDERERS or entry.is_dir() or entry.is_symlink()
        )
        if others:
            raise ReportWriteError(
                f"{self.out_dir / others[0]}: cannot write the audit report there: the folder "
                f"holds {len(others)} entry(ies) that are not report files, and the audit "
                "replaces it as a whole: give an --out of its own"
            )

    def _remove_leftovers(self) -> None:
        """Folders a killed run left beside `--out` (only under the lock: none is in use)."""
        for prefix in (f".{self._real.name}.new-", f".{self._real.name}.old-"):
            for leftover in self._real.parent.glob(f"{prefix}*"):
                if leftover.is_dir() and not leftover.is_symlink():
                    shutil.rmtree(leftover, ignore_errors=True)

    def _release(self) -> None:
        if self._lock is not None:
            with contextlib.suppress(OSError):
                self._lock.close()
            self._lock = None

    def _error(self, error: OSError) -> ReportWriteError:
        where = error.filename or self.out_dir
        return ReportWriteError(
            f"{where}: cannot write the audit report there: {error.strerror or error}"
        )


def _exchange(first: Path, second: Path) -> bool:
    """Swap two folders in one step (Linux `renameat2`); False where the system cannot."""
    function = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if function is None:
        return False
    result = function(
        _AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE
    )
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(second))


def write_reports(report: AuditReport, out_dir: Path, secrets: frozenset[str]) -> list[Path]:
    """The four files into `out_dir`, as one set (the folder locked while they are written)."""
    with ReportFolder(out_dir) as folder:
        return folder.write(report, secrets)
