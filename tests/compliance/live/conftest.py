"""A real AWS API endpoint on the loopback interface (a moto server process on a free port),
reached through boto3's endpoint settings as an account would be, and the prod stack deployed
into it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import boto3
import pytest

from compliance.live.account import LiveAccount
from compliance.live.verify import LiveRun, verify
from compliance.model.graph import ResourceGraph
from compliance.model.pack import PackInfo
from compliance.preview.analyzer import PolicyPackProcess
from compliance.preview.offline import run_program
from compliance.preview.policy_config import PolicyConfigEntry, load_policy_config
from tests.compliance.live.moto_stack import REGION, deploy

PROJECT_ROOT = Path(__file__).resolve().parents[3]
PACK_DIR = PROJECT_ROOT / "policy_pack"
POLICY_CONFIG = PACK_DIR / "config.prod.json"
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = _free_port()
    log = (tmp_path_factory.mktemp("moto") / "server.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, **CREDENTIALS},
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{url}/moto-api/", timeout=1).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the moto server did not start (see {log.name})") from None
            time.sleep(0.2)
    try:
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


@pytest.fixture
def endpoint(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The endpoint, emptied, with boto3 pointed at it through its own settings."""
    request = urllib.request.Request(f"{moto_server}/moto-api/reset", method="POST")
    urllib.request.urlopen(request, timeout=10).close()
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return moto_server


@pytest.fixture(scope="session")
def stack_graph() -> ResourceGraph:
    return run_program(PROJECT_ROOT, "prod").graph


@pytest.fixture(scope="session")
def pack() -> PackInfo:
    with PolicyPackProcess(PACK_DIR, project="payments", stack="prod") as process:
        return process.info()


@pytest.fixture(scope="session")
def policy_config(pack: PackInfo) -> dict[str, PolicyConfigEntry]:
    return load_policy_config(POLICY_CONFIG, pack)


@pytest.fixture
def deployed(endpoint: str, stack_graph: ResourceGraph) -> ResourceGraph:
    """The stack, deployed compliant; its export as Pulumi would record it."""
    return deploy(stack_graph, boto3.session.Session(region_name=REGION))


@pytest.fixture
def account(endpoint: str) -> LiveAccount:
    return LiveAccount(REGION)


Verifier = Callable[..., LiveRun]


@pytest.fixture
def verifier(
    account: LiveAccount, pack: PackInfo, policy_config: dict[str, PolicyConfigEntry]
) -> Verifier:
    """Verify a graph with the pack's metadata and the prod policy config (in `account`, unless
    given another)."""

    def run(graph: ResourceGraph, through: LiveAccount | None = None) -> LiveRun:
        return verify(graph, through or account, pack, policy_config, concurrency=8)

    return run
