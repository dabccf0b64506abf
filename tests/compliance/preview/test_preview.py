"""End to end through `python -m compliance`'s code path: the real program with the real pack,
and a deployed stack's export with the probe pack."""

import io
import json
import os
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

import pytest
import yaml

from compliance.cli import main
from compliance.model.graph import ResourceGraph
from tests.policy_pack.pack_harness import pinned_judging_versions

REPO = Path(__file__).resolve().parents[3]
FIXTURES = Path(__file__).parents[1] / "fixtures"
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
    assert "payment-stack-guard@v1.6.0" in out


def test_the_policies_line_names_the_versions_the_packs_environment_judged_with(
    clean: tuple[int, str],
) -> None:
    _, out = clean
    versions = ", ".join(f"{name} {version}" for name, version in pinned_judging_versions().items())
    assert f"✅ payment-stack-guard@v1.6.0 ({versions})" in out
    assert "unable to run during preview" not in out
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
    assert summary["PolicyPacks"] == {"payment-stack-guard": "v1.6.0"}
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


@pytest.fixture(scope="module")
def mini(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, str]:
    """The mini project's preview with the probe pack."""
    return run_cli(
        "preview",
        "--offline",
        "--project-dir",
        str(FIXTURES / "mini_project"),
        "--stack",
        "test",
        "--policy-pack",
        str(FIXTURES / "probe_pack"),
        "--build-dir",
        str(tmp_path_factory.mktemp("mini")),
    )


def test_what_the_program_logs_is_printed_under_diagnostics_by_resource(
    mini: tuple[int, str],
) -> None:
    code, out = mini
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


def test_a_stack_policy_reading_an_output_unknown_in_preview_is_reported_unable_to_run(
    mini: tuple[int, str],
) -> None:
    code, out = mini
    assert code == 0
    assert "⚠️ probe@v0.1.0" in out
    assert "        - [advisory]  [medium]  sse-bucket-arn\n" in out
    assert (
        "          can't run policy 'sse-bucket-arn' from policy pack 'probe@v0.0.1' during "
        "preview: string value at .arn can't be known during preview\n"
    ) in out
    assert "sse-bucket-arn  (" not in out


def linked_buckets_export(bucket_arn: str) -> dict[str, Any]:
    """A deployed stack: an encrypted bucket, its encryption linked to it, every output known."""
    prefix = "urn:pulumi:prod::mini::"
    provider = f"{prefix}pulumi:providers:aws::default_7_29_0"
    bucket = f"{prefix}aws:s3/bucket:Bucket::docs"
    key_arn = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    rules = [
        {
            "applyServerSideEncryptionByDefault": {
                "sseAlgorithm": "aws:kms",
                "kmsMasterKeyId": key_arn,
            }
        }
    ]
    return {
        "version": 3,
        "deployment": {
            "resources": [
                {"urn": f"{prefix}pulumi:pulumi:Stack::mini-prod", "type": "pulumi:pulumi:Stack"},
                {
                    "urn": provider,
                    "type": "pulumi:providers:aws",
                    "custom": True,
                    "id": "provider-id",
                    "inputs": {"region": "eu-west-1", "version": "7.29.0"},
                    "outputs": {"region": "eu-west-1", "version": "7.29.0"},
                },
                {
                    "urn": bucket,
                    "type": "aws:s3/bucket:Bucket",
                    "custom": True,
                    "id": "docs-1a2b3c",
                    "protect": True,
                    "inputs": {},
                    "outputs": {"arn": bucket_arn, "bucket": "docs-1a2b3c"},
                    "provider": f"{provider}::provider-id",
                },
                {
                    "urn": f"{prefix}aws:s3/bucketServerSideEncryptionConfiguration:"
                    "BucketServerSideEncryptionConfiguration::docs-sse",
                    "type": "aws:s3/bucketServerSideEncryptionConfiguration:"
                    "BucketServerSideEncryptionConfiguration",
                    "custom": True,
                    "id": "docs-1a2b3c",
                    "inputs": {"bucket": "docs-1a2b3c", "rules": rules},
                    "outputs": {"bucket": "docs-1a2b3c", "id": "docs-1a2b3c", "rules": rules},
                    "dependencies": [bucket],
                    "propertyDependencies": {"bucket": [bucket], "rules": []},
                    "provider": f"{provider}::provider-id",
                },
            ]
        },
    }


def analyze_export(document: dict[str, Any], folder: Path) -> tuple[int, str, list[dict[str, Any]]]:
    state = folder / "export.json"
    state.write_text(json.dumps(document))
    code, out = run_cli(
        "policy",
        "--state",
        str(state),
        "--policy-pack",
        str(FIXTURES / "probe_pack"),
        "--build-dir",
        str(folder),
    )
    lines = (folder / "preview" / "prod" / "policy-events.jsonl").read_text().splitlines()
    return code, out, [json.loads(line) for line in lines]


def test_a_deployed_stack_runs_the_stack_policy_that_reads_an_output(tmp_path: Path) -> None:
    code, out, events = analyze_export(linked_buckets_export("arn:aws:s3:::docs-1a2b3c"), tmp_path)
    assert code == 0, out
    assert "sse-bucket-arn" not in out
    (summary,) = [
        e["policyAnalyzeStackSummaryEvent"] for e in events if "policyAnalyzeStackSummaryEvent" in e
    ]
    assert "sse-bucket-arn" in summary["passed"]


def test_a_deployed_stack_fails_the_stack_policy_on_the_output_it_reads(tmp_path: Path) -> None:
    code, out, _ = analyze_export(linked_buckets_export("arn:aws:sqs:::docs"), tmp_path)
    assert code == 1
    violations = [line.strip() for line in out.splitlines() if "- [mandatory]" in line]
    assert violations == [
        "- [mandatory]  [medium]  sse-bucket-arn  (aws:s3/bucketServerSideEncryptionConfiguration:"
        "BucketServerSideEncryptionConfiguration: docs-sse)"
    ]
    assert "docs-sse encrypts docs, not an S3 bucket: arn:aws:sqs:::docs" in out
