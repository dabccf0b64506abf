"""The offline run records what the engine would see in a first preview of the program."""

from importlib.metadata import version
from pathlib import Path

import pulumi_aws as aws
import pytest

from compliance.model.errors import UserError
from compliance.model.graph import SECRET_SIGNATURE, SECRET_SIGNATURE_KEY, UNKNOWN, GraphResource
from compliance.preview.offline import (
    PLACEHOLDER_ACCOUNT_ID,
    OfflineRun,
    ProgramError,
    run_program,
)
from compliance.preview.project import StackConfigError

PROJECT = Path(__file__).parents[1] / "fixtures" / "mini_project"
PREFIX = "urn:pulumi:test::mini::"
AWS_VERSION = version("pulumi-aws")
DEFAULT_PROVIDER = f"{PREFIX}pulumi:providers:aws::default_{AWS_VERSION.replace('.', '_')}"


@pytest.fixture(scope="module")
def run() -> OfflineRun:
    return run_program(PROJECT, "test")


def resource(run: OfflineRun, suffix: str) -> GraphResource:
    found = run.graph.get(PREFIX + suffix)
    assert found is not None, f"{suffix} not recorded"
    return found


def test_stack_is_recorded_first_with_the_programs_exports(run: OfflineRun) -> None:
    stack = run.graph.resources[0]
    assert stack.urn == f"{PREFIX}pulumi:pulumi:Stack::mini-test"
    assert stack.outputs["account"] == PLACEHOLDER_ACCOUNT_ID
    assert run.outputs == stack.outputs


def test_children_get_engine_urns_parent_and_protect(run: OfflineRun) -> None:
    bucket = resource(run, "mini:storage:Storage$aws:s3/bucket:Bucket::docs-0")
    assert bucket.parent == PREFIX + "mini:storage:Storage::docs"
    assert bucket.protect
    assert bucket.custom
    component = resource(run, "mini:storage:Storage::docs")
    assert not component.custom
    assert component.parent == f"{PREFIX}pulumi:pulumi:Stack::mini-test"


def test_dependencies_and_property_dependencies_are_recorded(run: OfflineRun) -> None:
    sse = resource(
        run,
        "mini:storage:Storage$aws:s3/bucket:Bucket$"
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
        "::docs-0-sse",
    )
    bucket_urn = PREFIX + "mini:storage:Storage$aws:s3/bucket:Bucket::docs-0"
    key_urn = PREFIX + "aws:kms/key:Key::data"
    assert sse.property_dependencies["bucket"] == (bucket_urn,)
    assert sse.property_dependencies["rules"] == (key_urn,)
    assert set(sse.dependencies) == {bucket_urn, key_urn}
    replica = resource(run, "aws:s3/bucket:Bucket::replica")
    assert replica.dependencies == (key_urn,)


def test_default_provider_is_synthesized_from_stack_config(run: OfflineRun) -> None:
    provider = run.graph.get(DEFAULT_PROVIDER)
    assert provider is not None
    assert provider.inputs == {
        "region": "eu-west-1",
        "defaultTags": '{"tags":{"Environment":"test"}}',
        "version": AWS_VERSION,
    }
    key = resource(run, "aws:kms/key:Key::data")
    assert key.provider == f"{DEFAULT_PROVIDER}::{UNKNOWN}"
    assert run.graph.provider_of(key) == provider


def test_explicit_provider_is_recorded_with_its_inputs(run: OfflineRun) -> None:
    provider = resource(run, "pulumi:providers:aws::replica")
    assert provider.inputs["region"] == "eu-central-1"
    replica = resource(run, "aws:s3/bucket:Bucket::replica")
    assert run.graph.provider_of(replica) == provider


def test_outputs_a_first_preview_cannot_know_are_unknown(run: OfflineRun) -> None:
    key = resource(run, "aws:kms/key:Key::data")
    assert key.id is None
    assert key.inputs == {"description": PLACEHOLDER_ACCOUNT_ID, "enableKeyRotation": True}
    assert key.outputs["description"] == PLACEHOLDER_ACCOUNT_ID
    assert key.outputs["enableKeyRotation"] is True
    unknown = {name for name, value in key.outputs.items() if value == UNKNOWN}
    assert {"arn", "keyId", "policy", "tagsAll", "deletionWindowInDays"} <= unknown
    assert unknown == set(key.outputs) - set(key.inputs)
    assert "id" not in key.outputs
    assert "urn" not in key.outputs
    assert key.state == key.outputs
    sse = next(r for r in run.graph.resources if r.name == "docs-1-sse")
    rule = sse.inputs["rules"][0]["applyServerSideEncryptionByDefault"]
    assert rule["kmsMasterKeyId"] == UNKNOWN
    assert sse.inputs["bucket"] == UNKNOWN
    assert run.outputs["keyArn"] == UNKNOWN


def test_the_output_set_is_the_sdk_resource_class_getters(run: OfflineRun) -> None:
    bucket = resource(run, "mini:storage:Storage$aws:s3/bucket:Bucket::docs-0")
    declared = {
        getter.fget._pulumi_name  # type: ignore[union-attr]
        for getter in vars(aws.s3.Bucket).values()
        if isinstance(getter, property) and hasattr(getter.fget, "_pulumi_name")
    }
    assert set(bucket.outputs) == declared | set(bucket.inputs)
    assert bucket.outputs["arn"] == UNKNOWN
    assert bucket.outputs["bucket"] == UNKNOWN


def test_the_program_reads_the_unknown_state_back(run: OfflineRun) -> None:
    component = resource(run, "mini:storage:Storage::docs")
    assert component.outputs == {"names": [UNKNOWN, UNKNOWN]}
    assert run.outputs["keyArn"] == UNKNOWN


def test_providers_state_is_their_inputs(run: OfflineRun) -> None:
    for provider in (
        run.graph.get(DEFAULT_PROVIDER),
        resource(run, "pulumi:providers:aws::replica"),
    ):
        assert provider is not None
        assert provider.outputs == provider.inputs


def test_secure_config_reaches_resources_as_a_secret_unknown(run: OfflineRun) -> None:
    parameter = resource(run, "aws:ssm/parameter:Parameter::db-password")
    assert parameter.inputs["value"] == {SECRET_SIGNATURE_KEY: SECRET_SIGNATURE, "value": UNKNOWN}
    assert parameter.outputs["value"] == parameter.inputs["value"]


def test_a_failing_program_is_one_line_naming_file_and_message() -> None:
    with pytest.raises(ProgramError) as raised:
        run_program(PROJECT, "broken")
    message = str(raised.value)
    assert message.startswith("program/__main__.py:8: ValueError: the inventory names no buckets")
    assert "\n" not in message


def test_missing_stack_config_is_a_user_error_naming_the_file() -> None:
    with pytest.raises(StackConfigError, match=r"Pulumi\.nope\.yaml: cannot read"):
        run_program(PROJECT, "nope")


def test_malformed_stack_config_names_file_and_line() -> None:
    with pytest.raises(UserError, match=r"Pulumi\.malformed\.yaml: not valid YAML: line 3, column"):
        run_program(PROJECT, "malformed")


def test_every_run_records_the_same_graph_in_the_same_order(run: OfflineRun) -> None:
    again = run_program(PROJECT, "test")
    assert again.graph.to_stack_export() == run.graph.to_stack_export()
    assert [r.urn for r in again.graph] == [r.urn for r in run.graph]


def test_an_invoke_offline_mode_cannot_answer_is_a_user_error_naming_it() -> None:
    with pytest.raises(UserError, match=r"cannot answer the invoke aws:index/getRegion:getRegion"):
        run_program(PROJECT, "asks-region")


def test_what_the_program_logs_is_kept_with_its_resource(run: OfflineRun) -> None:
    assert [(m.severity, m.message, m.urn.rsplit("::", 1)[-1]) for m in run.messages] == [
        ("info", "two regions", "mini-test"),
        ("warning", "the key's description is the account id", "data"),
    ]
