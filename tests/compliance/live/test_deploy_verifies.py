"""`deploy` verifies what `pulumi up` deployed: a fake `pulumi` on PATH records the commands and
exports the stack deployed into the moto server; the live engine then judges the running stack."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from compliance.cli import main
from compliance.model.graph import ResourceGraph
from tests.compliance.live.conftest import PROJECT_ROOT
from tests.compliance.live.test_verify import DRIFTS
from tests.compliance.preview.test_pulumi_cli import FAKE_PULUMI


@pytest.fixture
def fake_pulumi(deployed: ResourceGraph, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    executable = bin_dir / "pulumi"
    executable.write_text(FAKE_PULUMI)
    executable.chmod(0o755)
    export = tmp_path / "what-pulumi-recorded.json"
    deployed.write(export)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_PULUMI_LOG", str(tmp_path / "pulumi.log"))
    monkeypatch.setenv("FAKE_PULUMI_EXPORT", str(export))
    monkeypatch.setenv("PULUMI_BACKEND_URL", f"file://{tmp_path / 'state'}")
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "correct horse")
    return tmp_path / "pulumi.log"


@pytest.mark.usefixtures("fake_pulumi")
@pytest.mark.parametrize(("drift", "code"), [(None, 0), ("table point-in-time recovery off", 1)])
def test_deploy_fails_when_a_mandatory_control_fails_live(
    drift: str | None,
    code: int,
    deployed: ResourceGraph,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    if drift is not None:
        DRIFTS[drift][0](deployed)
    build = tmp_path / "build"
    args = ["deploy", "--yes", "--project-dir", str(PROJECT_ROOT), "--build-dir", str(build)]
    assert main(args) == code
    out = capsys.readouterr().out
    assert "Verified payments/prod live in account 123456789012" in out
    assert (build / "deploy" / "prod" / "stack-export.json").is_file()
    failing = "[fail/mandatory] dynamodb-pitr-enabled: table-transactions:"
    assert (failing in out) is (drift is not None)
