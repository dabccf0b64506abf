"""Each SDK internal the tooling relies on is guarded: the guard passes on the installed SDK, and
trips, as one `SdkContractError` naming the SDK version, when its contract changes."""

from __future__ import annotations

import contextvars
import typing
from collections import deque
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pulumi_aws as aws
import pytest
from pulumi import _types
from pulumi.runtime import settings

from compliance.model import pulumi_internals
from compliance.model.errors import SdkContractError
from compliance.model.graph import GraphResource
from compliance.model.pulumi_internals import (
    OutstandingOutputs,
    ProgramRuntime,
    input_type_fields,
    is_input_type,
    resource_output_names,
)
from compliance.preview.offline import ProgramError, RecordingMonitor, run_program

PROJECT = Path(__file__).parents[1] / "fixtures" / "mini_project"
SDK = f"pulumi {version('pulumi')}"


@pytest.fixture(autouse=True)
def fresh_guards() -> Iterator[None]:
    """Each test sees the guards check afresh, and later tests the real SDK's answers."""
    caches = (pulumi_internals._output_names_reader, pulumi_internals._input_type_readers)
    for cache in caches:
        cache.cache_clear()
    yield
    for cache in caches:
        cache.cache_clear()


def test_output_names_are_read_from_the_resource_class() -> None:
    names = resource_output_names(aws.kms.Key)
    assert {"arn", "keyId", "enableKeyRotation"} <= names


def test_output_names_guard_trips_when_the_reader_is_gone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(_types, "resource_pulumi_to_py_names")
    with pytest.raises(SdkContractError, match=rf"^{SDK}: pulumi\._types\.resource_pulumi_to_py"):
        resource_output_names(aws.kms.Key)


def test_output_names_guard_trips_when_the_reader_answers_otherwise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # An SDK that read nothing would make every output look known: every unknown check would pass.
    monkeypatch.setattr(_types, "resource_pulumi_to_py_names", lambda _: {})
    with pytest.raises(SdkContractError, match=r"no longer maps a resource's output names"):
        resource_output_names(aws.kms.Key)


def test_input_fields_are_read_from_the_input_type() -> None:
    fields = input_type_fields(aws.s3.BucketLifecycleConfigurationArgs)
    assert "rules" in fields
    assert is_input_type(aws.s3.BucketLifecycleConfigurationRuleArgs)
    assert not is_input_type(str)


def test_input_fields_guard_trips_when_fields_come_wrapped(monkeypatch: pytest.MonkeyPatch) -> None:
    real = _types.input_type_types
    monkeypatch.setattr(
        _types,
        "input_type_types",
        lambda cls: {name: typing.Optional[kind] for name, kind in real(cls).items()},  # noqa: UP045
    )
    with pytest.raises(SdkContractError, match=rf"^{SDK}: pulumi\._types no longer gives"):
        input_type_fields(aws.s3.BucketLifecycleConfigurationArgs)


class _SettingsWith(settings.Settings):
    pending: Any = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.outputs = type(self).pending


def outputs_configured_with(monkeypatch: pytest.MonkeyPatch, pending: Any) -> Any:
    """The pending outputs the SDK is left with, configured where the SDK's pending outputs are
    `pending`. In a context of its own: the SDK keeps its settings in context variables."""
    monkeypatch.setattr(_SettingsWith, "pending", pending)
    monkeypatch.setattr(settings, "Settings", _SettingsWith)

    def configure() -> Any:
        ProgramRuntime().configure(
            project="p",
            stack="s",
            monitor=None,
            engine=None,
            root_directory=".",
            config={},
            secret_keys=(),
        )
        return settings.SETTINGS.outputs

    return contextvars.copy_context().run(configure)


def test_a_deque_of_pending_outputs_is_replaced_by_the_constant_time_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert isinstance(outputs_configured_with(monkeypatch, deque()), OutstandingOutputs)


def test_a_set_of_pending_outputs_is_already_constant_time_and_kept(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pending: set[object] = set()
    assert outputs_configured_with(monkeypatch, pending) is pending


def test_pending_outputs_of_another_kind_stop_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(SdkContractError, match=r"SETTINGS\.outputs.* is list, neither the deque"):
        outputs_configured_with(monkeypatch, [])


def test_an_operation_the_replacement_lacks_is_recorded_as_a_broken_contract() -> None:
    runtime = ProgramRuntime()
    outputs = OutstandingOutputs(runtime)
    with pytest.raises(SdkContractError, match=r"now uses SETTINGS\.outputs\.add"):
        outputs.add("task")
    with pytest.raises(SdkContractError, match=r"SETTINGS\.outputs\.add"):
        runtime.check()


def test_a_run_on_an_sdk_using_an_operation_the_replacement_lacks_ends_as_sdk_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What happened on pulumi 3.272 (a set where the replacement was a deque's): one line naming
    the SDK and the operation, not an AttributeError blamed on the program."""
    real_init = settings.Settings.__init__

    def with_deque(self: Any, *args: Any, **kwargs: Any) -> None:
        real_init(self, *args, **kwargs)
        self.outputs = deque()

    monkeypatch.setattr(settings.Settings, "__init__", with_deque)
    # Whichever operation this SDK uses on its pending outputs, the replacement lacks it here.
    for operation in ("append", "remove"):
        monkeypatch.delattr(OutstandingOutputs, operation)
    monkeypatch.setattr(OutstandingOutputs, "_OPERATIONS", frozenset({"popleft", "clear"}))
    with pytest.raises(SdkContractError, match=rf"^{SDK}: the SDK now uses SETTINGS\.outputs\."):
        run_program(PROJECT, "test")


def test_calls_reaching_the_monitor_from_sdk_threads_stop_the_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(pulumi_internals, "InlineExecutor", ThreadPoolExecutor)
    with pytest.raises(SdkContractError, match=r"calls the resource monitor's \w+ from a thread"):
        run_program(PROJECT, "test")


def test_a_missing_root_resource_variable_stops_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(settings, "ROOT")
    with pytest.raises(SdkContractError, match=rf"^{SDK}: pulumi\.runtime\.settings\.ROOT no"):
        run_program(PROJECT, "test")


def test_a_bug_in_the_tooling_is_not_reported_as_the_programs_mistake(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    record = RecordingMonitor._record

    def broken_record(monitor: RecordingMonitor, resource: GraphResource) -> None:
        if resource.type == "aws:ssm/parameter:Parameter":  # the last: nothing waits on it
            raise KeyError("a bug of ours")
        record(monitor, resource)

    monkeypatch.setattr(RecordingMonitor, "_record", broken_record)
    with pytest.raises(KeyError, match="a bug of ours") as raised:
        run_program(PROJECT, "test")
    assert not isinstance(raised.value, ProgramError)
