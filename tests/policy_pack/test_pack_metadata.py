"""What the pack declares over `GetAnalyzerInfo`, and how it is laid out for the CLI."""

from __future__ import annotations

import ast
import re

import pytest
import yaml

from compliance.model.controls import by_id
from compliance.model.findings import Enforcement
from compliance.model.pack import PackInfo
from compliance.preview.analyzer import PolicyPackProcess
from tests.policy_pack.pack_harness import PACK_DIR

CORE_CONCERN_POLICIES = {
    # KMS
    "kms-key-rotation-enabled",
    "s3-encryption-kms-cmk",
    "s3-bucket-encrypted",
    "dynamodb-table-encrypted-with-cmk",
    "lambda-environment-encrypted",
    "cloudwatch-log-group-encrypted",
    "backup-vault-encrypted-with-cmk",
    "sns-topic-encrypted",
    # PITR and backup
    "dynamodb-pitr-enabled",
    "dynamodb-table-in-backup-plan",
    "backup-retention-minimum",
    # X-Ray
    "lambda-tracing-active",
    "apigateway-stage-xray-enabled",
    # Tagging
    "required-tags",
    # Region
    "allowed-region",
    "iam-role-region-restricted",
    # Throttling
    "apigateway-stage-throttled",
    "lambda-reserved-concurrency",
}


@pytest.fixture(scope="module")
def info(pack: PolicyPackProcess) -> PackInfo:
    return pack.info()


def test_pack_declares_python_runtime_and_version_for_the_cli() -> None:
    project = yaml.safe_load((PACK_DIR / "PulumiPolicy.yaml").read_text())

    assert project["runtime"]["name"] == "python"
    assert re.fullmatch(r"\d+\.\d+\.\d+", project["version"])
    requirements = (PACK_DIR / "requirements.txt").read_text()
    assert "pulumi-policy" in requirements
    assert "pulumi-aws" in requirements


def test_reported_version_is_the_one_in_pulumi_policy_yaml(info: PackInfo) -> None:
    project = yaml.safe_load((PACK_DIR / "PulumiPolicy.yaml").read_text())

    assert info.name == "payment-stack-guard"
    assert info.version == project["version"]


def test_every_policy_declares_its_metadata(info: PackInfo) -> None:
    for policy in info.policies:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)+", policy.name), policy.name
        assert policy.description.endswith("."), policy.name
        assert policy.severity is not None, policy.name
        assert policy.remediation_steps, policy.name
        assert by_id(policy.control_id) is not None, (policy.name, policy.control_id)


def test_core_concerns_are_mandatory_and_wildcard_iam_is_advisory(info: PackInfo) -> None:
    levels = {policy.name: policy.enforcement for policy in info.policies}

    assert set(levels) >= CORE_CONCERN_POLICIES
    assert {levels[name] for name in CORE_CONCERN_POLICIES} == {Enforcement.MANDATORY}
    assert levels["iam-no-wildcard-data-actions"] is Enforcement.ADVISORY


def test_every_config_property_has_a_default_and_a_description(info: PackInfo) -> None:
    configurable = [p for p in info.policies if p.config_schema is not None]

    assert {p.name for p in configurable} >= {"required-tags", "allowed-region"}
    for policy in configurable:
        assert policy.config_schema is not None
        for key, spec in policy.config_schema["properties"].items():
            assert "default" in spec, (policy.name, key)
            assert spec.get("description"), (policy.name, key)


def test_pack_imports_nothing_of_the_project_it_guards() -> None:
    imported: set[str] = set()
    for source in PACK_DIR.rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.Import):
                imported.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                imported.add(node.module.split(".")[0])

    assert not imported & {"compliance", "infra", "lambda_packages"}
