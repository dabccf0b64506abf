"""Running checkov over a Terraform plan document and reading its verdicts.

checkov runs in a process of its own, on its own environment's interpreter
(`compliance.checkov.environment`), as `worker.py`: the same terraform_plan scan as `checkov
--framework terraform_plan --skip-download -f plan.json`, with the same results. `start` launches
it at once, so checkov's imports and registries load while the caller does other work (the
audit runs the preview meanwhile); every scan of the process then goes to that one worker. Nothing
is downloaded.
"""

from __future__ import annotations

import atexit
import json
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from compliance.checkov.environment import checkov_python
from compliance.model.errors import UserError
from compliance.model.files import tail_of

PLAN_FILE = "plan.json"
WORKER = Path(__file__).with_name("worker.py")
STDERR_TAIL_CHARS = 3000
# By path, with neither its folder nor the current one on sys.path: the worker's neighbours
# (`types.py`) would shadow the standard library's modules there.
_RUN_WORKER = "import runpy, sys; del sys.path[0]; runpy.run_path(sys.argv[1], run_name='__main__')"


class CheckovError(UserError):
    """checkov could not scan, or did not scan, what it was given."""


@dataclass(frozen=True)
class CheckResult:
    check_id: str
    check_name: str
    address: str
    """The Terraform address checkov reports: `aws_s3_bucket.receipts`, `aws.default`."""
    passed: bool
    evaluated_keys: tuple[str, ...] = ()
    guideline: str | None = None


@dataclass(frozen=True)
class Scan:
    results: tuple[CheckResult, ...]
    scanned: frozenset[str]
    """Addresses of the resources checkov read from the plan."""
    checkov_version: str


class CheckovWorker:
    """checkov, loaded in a process of its own and answering one request at a time."""

    def __init__(self, python: str) -> None:
        self.python = python
        self._lock = threading.Lock()
        self._stderr: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 - lives with the process
        try:
            self._process = subprocess.Popen(
                [python, "-c", _RUN_WORKER, str(WORKER)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self._stderr,
                text=True,
            )
        except OSError as cause:
            raise CheckovError(f"cannot start checkov with {python}: {cause.strerror}") from None
        self._version: str | None = None

    @property
    def version(self) -> str:
        return self._ready()

    def known_check_ids(self) -> frozenset[str]:
        """Every check id checkov runs over a Terraform plan."""
        return frozenset(self._request({"op": "checks"})["checks"])

    def scan(self, document: dict[str, Any]) -> Scan:
        """Every checkov check (resource, provider and graph checks) over one plan document."""
        with tempfile.TemporaryDirectory(prefix="checkov-") as directory:
            path = Path(directory) / PLAN_FILE
            path.write_text(json.dumps(document))
            reply = self._request({"op": "scan", "plan": str(path)})
        return Scan(
            results=tuple(
                CheckResult(
                    check_id=result["check_id"],
                    check_name=result["check_name"],
                    address=result["address"],
                    passed=result["passed"],
                    evaluated_keys=tuple(result["evaluated_keys"]),
                    guideline=result["guideline"],
                )
                for result in reply["results"]
            ),
            scanned=frozenset(reply["scanned"]),
            checkov_version=self.version,
        )

    def close(self) -> None:
        """Stop the worker at once: it keeps nothing worth a graceful exit, which for checkov's
        heap takes over a second."""
        if self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        for stream in (self._process.stdin, self._process.stdout):
            if stream is not None:
                stream.close()
        self._stderr.close()

    def _ready(self) -> str:
        if self._version is None:
            with self._lock:
                if self._version is None:
                    self._version = str(self._read_line("load")["version"])
        return self._version

    def _request(self, request: dict[str, Any]) -> dict[str, Any]:
        self._ready()
        with self._lock:
            assert self._process.stdin is not None
            try:
                self._process.stdin.write(json.dumps(request) + "\n")
                self._process.stdin.flush()
            except OSError:
                pass  # it exited: reading its answer says why
            reply = self._read_line(str(request.get("op")))
        if "error" in reply:
            raise CheckovError(f"checkov ({self.python}): {reply['error']}")
        return reply

    def _read_line(self, doing: str) -> dict[str, Any]:
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line:
            code = self._process.wait()
            raise CheckovError(
                f"checkov ({self.python}) exited (code {code}) during {doing}: "
                "is checkov installed for that interpreter?" + self._stderr_tail()
            )
        try:
            reply: dict[str, Any] = json.loads(line)
        except json.JSONDecodeError:
            raise CheckovError(
                f"checkov ({self.python}) answered {doing} with {line[:200]!r}, not JSON"
            ) from None
        return reply

    def _stderr_tail(self) -> str:
        """The last line checkov wrote to stderr (the error that stopped it), if any."""
        lines = tail_of(self._stderr, STDERR_TAIL_CHARS).splitlines()
        return f" ({lines[-1].strip()})" if lines else ""


_running: dict[str, CheckovWorker] = {}
_running_lock = threading.Lock()


def start(given: Path | None = None) -> CheckovWorker:
    """The process's checkov worker for `given` (see `checkov_python`), started on first use."""
    python = checkov_python(given)
    with _running_lock:
        worker = _running.get(python)
        if worker is None:
            worker = _running[python] = CheckovWorker(python)
    return worker


def scan_plan(document: dict[str, Any], checkov: Path | None = None) -> Scan:
    return start(checkov).scan(document)


def known_check_ids(checkov: Path | None = None) -> frozenset[str]:
    return start(checkov).known_check_ids()


@atexit.register
def _close_workers() -> None:
    for worker in _running.values():
        worker.close()
