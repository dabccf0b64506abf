"""A real AWS API endpoint on the loopback interface (a moto server process on a free port),
reached through boto3's endpoint settings as an account would be, and the prod stack deployed
into it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import boto3
import pytest

from compliance.bench.local_account import CREDENTIALS, REGION, deploy, moto_server, reset
from compliance.live.account import LiveAccount
from compliance.live.verify import LiveRun, verify
from compliance.model.graph import ResourceGraph
from compliance.model.pack import PackInfo
from compliance.preview.analyzer import PolicyPackProcess
from compliance.preview.offline import run_program
from compliance.preview.policy_config import PolicyConfigEntry, load_policy_config

PROJECT_ROOT = Path(__file__).resolve().parents[3]
PACK_DIR = PROJECT_ROOT / "policy_pack"
POLICY_CONFIG = PACK_DIR / "config.prod.json"


@pytest.fixture(scope="session")
def moto_server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with (
        (tmp_path_factory.mktemp("moto") / "server.log").open("wb") as log,
        moto_server(log) as url,
    ):
        yield url


@pytest.fixture
def endpoint(moto_server_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The endpoint, emptied, with boto3 pointed at it through its own settings."""
    reset(moto_server_url)
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server_url)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return moto_server_url


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
