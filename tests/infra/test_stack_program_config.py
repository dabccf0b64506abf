"""The real program: bad config stops it before any registration; the inventory drives its size."""

import copy
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pulumi
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infra import inventory
from infra.config import PROJECT_ROOT, parse_settings
from infra.errors import ConfigError
from tests.infra.stack_harness import ACCOUNT_ID, BASE_CONFIG, REGION, StackRun, run_stack

DEV_CONFIG: dict[str, Any] = json.loads((PROJECT_ROOT / "config" / "dev-config.json").read_text())


def refused(**overrides: str) -> tuple[ConfigError, StackRun]:
    """Run the program expecting a ConfigError; return it with what the run recorded."""
    run = StackRun()
    with pytest.raises(ConfigError) as raised:
        run_stack({**BASE_CONFIG, **{f"payments:{k}": v for k, v in overrides.items()}}, into=run)
    return raised.value, run


def inventory_file(directory: Path, document: object) -> str:
    path = directory / "inventory.json"
    path.write_text(json.dumps(document))
    return str(path)


def test_bad_stack_config_registers_nothing_and_calls_nothing() -> None:
    error, run = refused(throttlingRateLimit="lots")
    assert error.path == "config.payments:throttlingRateLimit"
    assert (run.registrations, run.invokes) == ([], [])


def test_config_error_is_one_the_pulumi_cli_prints_without_a_traceback() -> None:
    error, _ = refused(protect="maybe")
    assert isinstance(error, pulumi.RunError)
    assert (
        str(error)
        == "Pulumi.prod.yaml: config.payments:protect: must be true or false, got 'maybe'"
    )


def test_missing_migration_date_registers_nothing() -> None:
    run = StackRun()
    with pytest.raises(ConfigError, match=r"config\.payments:migrationDate: required key"):
        run_stack({"aws:region": REGION}, into=run)
    assert run.registrations == []


def test_bad_inventory_registers_nothing(tmp_path: Path) -> None:
    document = copy.deepcopy(DEV_CONFIG)
    document["dynamoTables"][1]["attributes"][0]["type"] = "BOOL"
    error, run = refused(inventoryFile=inventory_file(tmp_path, document))
    assert error.path == "$.dynamoTables[1].attributes[0].type"
    assert run.registrations == []


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    key=st.sampled_from(
        ["throttlingBurstLimit", "logRetentionDays", "protect", "tags", "maxAmount"]
    ),
    value=st.text(alphabet="abcXYZ{}[]:,-. ", min_size=1, max_size=12),
)
def test_generated_bad_config_through_the_program_is_our_error_and_registers_nothing(
    key: str, value: str
) -> None:
    error, run = refused(**{key: value})
    assert error.path == f"config.payments:{key}"
    assert run.registrations == []


def test_missing_inventory_file_deploys_the_seed_inventory_with_a_warning(tmp_path: Path) -> None:
    run = run_stack(inventoryFile=str(tmp_path / "absent.json"))
    assert any("absent.json not found" in warning for warning in run.warnings)
    assert run.outputs["migrationSummary"]["inventory"] == "built-in default inventory"
    assert set(run.outputs["bucketNames"]) == {
        "payment-documents",
        "payment-receipts",
        "lambda-code",
    }


def test_inventory_size_drives_the_stack_not_fixed_counts(tmp_path: Path, stack: StackRun) -> None:
    document = copy.deepcopy(DEV_CONFIG)
    document["s3Buckets"] += [
        {"name": f"archive-{i}", "tags": {"DataClass": "archive"}} for i in range(7)
    ]
    document["dynamoTables"] += [
        {
            "name": f"ledger-{i}",
            "hashKey": "id",
            "rangeKey": "at",
            "attributes": [{"name": "id", "type": "S"}, {"name": "at", "type": "N"}],
        }
        for i in range(5)
    ]
    document["lambdaFunctions"] += [
        {
            "name": f"worker-{i}",
            "handler": "app.handler",
            "runtime": "python3.13",
            "package": "payment_validator",
        }
        for i in range(3)
    ]
    run = run_stack(inventoryFile=inventory_file(tmp_path, document))
    archive = run.one("aws:s3/bucket:Bucket", "bucket-archive-0")
    assert archive.inputs["tags"] == {
        "DataClass": "archive",
        "Environment": "production",
        "MigratedFrom": "dev",
        "MigrationDate": "2026-12-01",
    }
    bigger = Counter(r.type for r in run.registrations)
    default = Counter(r.type for r in stack.registrations)
    assert bigger["aws:s3/bucket:Bucket"] - default["aws:s3/bucket:Bucket"] == 7
    assert (
        bigger["aws:s3/bucketPolicy:BucketPolicy"] - default["aws:s3/bucketPolicy:BucketPolicy"]
        == 7
    )
    assert bigger["aws:dynamodb/table:Table"] - default["aws:dynamodb/table:Table"] == 5
    assert bigger["aws:backup/selection:Selection"] - default["aws:backup/selection:Selection"] == 5
    assert bigger["aws:lambda/function:Function"] - default["aws:lambda/function:Function"] == 3
    assert bigger["aws:iam/role:Role"] - default["aws:iam/role:Role"] == 3
    assert bigger["aws:iam/rolePolicy:RolePolicy"] - default["aws:iam/rolePolicy:RolePolicy"] == 6
    assert (
        bigger["aws:cloudwatch/metricAlarm:MetricAlarm"]
        - default["aws:cloudwatch/metricAlarm:MetricAlarm"]
        == 5 + 3
    )
    assert bigger["aws:apigateway/restApi:RestApi"] == 1


IAM_INLINE_POLICIES_MAX = 10_240


def _policy_size(policy: str) -> int:
    """A policy's size as IAM and KMS count it: without whitespace."""
    return len(json.dumps(json.loads(policy), separators=(",", ":")))


def test_more_functions_get_a_role_each_with_policies_of_a_fixed_size(tmp_path: Path) -> None:
    document = copy.deepcopy(DEV_CONFIG)
    processor, validator = document["lambdaFunctions"]
    copies = 12
    document["lambdaFunctions"] += [
        {**spec, "name": f"{spec['package'].split('_')[1][:4]}-{i:02}"}
        for spec in (processor, validator)
        for i in range(copies)
    ]
    run = run_stack(inventoryFile=inventory_file(tmp_path, document))
    run_settings = parse_settings(BASE_CONFIG, "Pulumi.prod.yaml")
    roles = {
        function.inputs["name"]: run.linked(function, "role")[0]
        for function in run.of_type("aws:lambda/function:Function")
    }
    assert len({role.urn for role in roles.values()}) == 2 + 2 * copies
    copy_sizes: dict[str, set[int]] = {"proc": set(), "vali": set()}
    for function, role in roles.items():
        policies = [
            p.inputs["policy"]
            for p in run.of_type("aws:iam/rolePolicy:RolePolicy")
            if run.linked(p, "role") == [role]
        ]
        assert len(policies) == 2
        assert sum(policy.count("log-group:") for policy in policies) == 1
        total = sum(_policy_size(policy) for policy in policies)
        assert total < IAM_INLINE_POLICIES_MAX, function
        if function[:4] in copy_sizes:  # names of one length: the size is the same for each
            copy_sizes[function[:4]].add(total)
    assert [len(found) for found in copy_sizes.values()] == [1, 1], copy_sizes
    key_policy = run.one("aws:kms/key:Key").inputs["policy"]
    (grant,) = [
        s
        for s in json.loads(key_policy)["Statement"]
        if s["Sid"] == "PaymentFunctionsUseKeyViaTheirServices"
    ]
    assert sorted(grant["Principal"]["AWS"]) == sorted(
        f"arn:aws:iam::{ACCOUNT_ID}:role/payments-fn-{name}-prod"
        for name in ["payment-processor", *(f"proc-{i:02}" for i in range(copies))]
    )
    estimate = inventory.KEY_POLICY_FIXED + sum(
        inventory.role_arn_length(run_settings, name)
        for name in ["payment-processor", *(f"proc-{i:02}" for i in range(copies))]
    )
    assert _policy_size(key_policy) <= estimate < inventory.KEY_POLICY_MAX


def test_without_payment_data_code_no_function_role_may_use_the_key(tmp_path: Path) -> None:
    document = copy.deepcopy(DEV_CONFIG)
    document["lambdaFunctions"][0]["package"] = "payment_validator"
    run = run_stack(inventoryFile=inventory_file(tmp_path, document))
    key = run.one("aws:kms/key:Key")
    assert [s["Sid"] for s in json.loads(key.inputs["policy"])["Statement"]] == [
        "AccountIamPoliciesGrantUse",
        "CloudWatchLogsInRegionEncryptLogGroups",
        "CloudTrailEncryptsTheAuditTrail",
        "CloudWatchAlarmsPublishToEncryptedTopic",
    ]
    assert not {r.urn for r in run.of_type("aws:iam/role:Role")} & set(key.dependencies)


def test_preview_with_unknown_ids_and_arns_registers_the_same_stack_with_known_policies(
    stack: StackRun,
) -> None:
    preview = run_stack(preview=True)
    assert sorted((r.type, r.name) for r in preview.registrations) == sorted(
        (r.type, r.name) for r in stack.registrations
    )
    code_bucket = preview.one("aws:s3/bucket:Bucket", "bucket-lambda-code")
    assert code_bucket.inputs["bucket"] == f"{ACCOUNT_ID}-lambda-code-prod"
    policies = [r.inputs["policy"] for r in preview.of_type("aws:iam/rolePolicy:RolePolicy")]
    key_policy = preview.one("aws:kms/key:Key").inputs["policy"]
    assert len(policies) == 6  # two per function role, the backup and API roles' restrictions
    for policy in [*policies, key_policy]:
        assert json.loads(policy)["Statement"]  # known during preview, not the unknown sentinel
