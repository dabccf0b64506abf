"""End to end through `python -m compliance`'s code path: the real program with the real pack,
and a deployed stack's export with the probe pack."""

import io
import json
import os
from contextlib import redirect_stdout
from pathlib import Path

import pytest
import yaml

from compliance.cli import main
from compliance.graph import ResourceGraph

REPO = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).parent / "fixtures"
EXPORT = FIXTURES / "states" / "mini-prod-export.json"


def run_cli(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    with redirect_stdout(out):
        code = main(list(argv))
    return code, out.getvalue()


def preview_stack(build: Path, policy_config: Path) -> tuple[int, str]:
    return run_cli(
        "preview",
        "--offline",
        "--project-dir",
        str(REPO),
        "--policy-pack",
        str(REPO / "policy_pack"),
        "--policy-pack-config",
        str(policy_config),
        "--build-dir",
        str(build),
    )


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("build")


@pytest.fixture(scope="module")
def clean(build: Path) -> tuple[int, str]:
    """`nox -s preview`: from the project root, every path its relative default."""
    previous = Path.cwd()
    os.chdir(REPO)
    try:
        return run_cli("preview", "--offline", "--build-dir", str(build))
    finally:
        os.chdir(previous)


def test_clean_preview_of_the_stack_exits_zero(clean: tuple[int, str]) -> None:
    code, out = clean
    assert code == 0, out
    assert "Mode: offline" in out
    assert "\nPolicies:\n" in out
    assert "payment-stack-guard@v1.0.0" in out
    assert "❌" not in out
    assert "- [mandatory]" not in out
    assert " +   pulumi:pulumi:Stack" in out


def test_preview_writes_the_graph_and_engine_events(clean: tuple[int, str], build: Path) -> None:
    folder = build / "preview" / "prod"
    graph = ResourceGraph.load(folder / "stack-export.json")
    assert graph.stack == "prod"
    assert graph.project == "payments"
    events = [
        json.loads(line) for line in (folder / "policy-events.jsonl").read_text().splitlines()
    ]
    assert [e["sequence"] for e in events] == list(range(len(events)))
    summary = events[-1]["summaryEvent"]
    assert summary["isPreview"]
    assert summary["PolicyPacks"] == {"payment-stack-guard": "v1.0.0"}
    created = summary["resourceChanges"]["create"]
    assert f"+ {created} to create" in clean[1]
    analyzed = [e for e in events if "policyAnalyzeSummaryEvent" in e]
    assert len(analyzed) == len(graph)


def test_a_stricter_policy_config_fails_the_one_resource_below_it(
    build: Path, tmp_path: Path
) -> None:
    config = json.loads((REPO / "policy_pack" / "config.prod.json").read_text())
    config["backup-retention-minimum"] = {"minimumRetentionDays": 3650}
    strict = tmp_path / "strict.json"
    strict.write_text(json.dumps(config))
    code, out = preview_stack(tmp_path, strict)
    assert code == 1
    violations = [line for line in out.splitlines() if line.startswith("        - [mandatory]")]
    assert len(violations) == 1, out
    assert "backup-retention-minimum" in violations[0]
    assert "(aws:backup/plan:Plan: payments-backup-plan)" in violations[0]
    assert "❌ payment-stack-guard@v" in out


def test_a_stack_with_one_violating_resource_exits_one_naming_policy_and_resource(
    tmp_path: Path,
) -> None:
    stack = "preview-test-short-backups"
    config = yaml.safe_load((REPO / "Pulumi.prod.yaml").read_text())
    config["config"]["payments:backupRetentionDays"] = "7"
    stack_file = REPO / f"Pulumi.{stack}.yaml"
    stack_file.write_text(yaml.safe_dump(config))
    try:
        code, out = run_cli(
            "preview",
            "--offline",
            "--project-dir",
            str(REPO),
            "--stack",
            stack,
            "--policy-pack",
            str(REPO / "policy_pack"),
            "--policy-pack-config",
            str(REPO / "policy_pack" / "config.prod.json"),
            "--build-dir",
            str(tmp_path),
        )
    finally:
        stack_file.unlink()
    assert code == 1
    violations = [line for line in out.splitlines() if line.startswith("        - [mandatory]")]
    assert len(violations) == 1, out
    assert "backup-retention-minimum" in violations[0]
    assert "(aws:backup/plan:Plan: payments-backup-plan)" in violations[0]


def test_what_the_program_logs_is_printed_under_diagnostics_by_resource(
    tmp_path: Path,
) -> None:
    code, out = run_cli(
        "preview",
        "--offline",
        "--project-dir",
        str(FIXTURES / "mini_project"),
        "--stack",
        "test",
        "--policy-pack",
        str(FIXTURES / "probe_pack"),
        "--build-dir",
        str(tmp_path),
    )
    assert code == 0
    assert (
        "\nDiagnostics:\n"
        "  pulumi:pulumi:Stack (mini-test):\n"
        "    two regions\n"
        "  aws:kms/key:Key (data):\n"
        "    warning: the key's description is the account id\n"
    ) in out


def test_deployed_stack_export_is_analyzed_with_secrets_and_provider_references(
    tmp_path: Path,
) -> None:
    code, out = run_cli(
        "policy",
        "--state",
        str(EXPORT),
        "--policy-pack",
        str(FIXTURES / "probe_pack"),
        "--build-dir",
        str(tmp_path),
    )
    assert code == 1
    assert "Mode: state file" in out
    assert "Resources:\n    3 unchanged" in out
    assert 'dbPassword: "[redacted]"' in out
    violations = [line.strip() for line in out.splitlines() if "- [mandatory]" in line]
    assert violations == [
        "- [mandatory]  [medium]  allowed-region  (aws:kms/key:Key: data)",
        "- [mandatory]  [medium]  buckets-protected  (aws:s3/bucket:Bucket: logs)",
    ]
    assert "the key's provider deploys to us-east-1" in out
    assert "kms-key-rotation" not in out
    written = ResourceGraph.load(tmp_path / "preview" / "prod" / "stack-export.json")
    assert [r.urn for r in written] == [r.urn for r in ResourceGraph.load(EXPORT)]
