"""Every internal of the Pulumi Python SDK the tooling relies on, each behind a guard of its
contract.

The offline engine and the checkov plan need a few things the SDK does not publish:

- `pulumi._types` reads a resource class's output names and an input type's fields (the same
  machinery the SDK uses to deserialize): what a preview cannot know of a resource, and which
  inputs are nested blocks and which are maps;
- `pulumi.runtime.settings`: the root resource (reset before a run), the ambient settings a
  language host configures, and the SDK's collection of pending outputs. Versions before the
  collection became a set keep a deque and remove each resolved output with a scan, which makes
  large programs quadratic: there it is replaced by `OutstandingOutputs`;
- `pulumi.runtime.config.set_all_config` and `pulumi.runtime.stack.run_in_stack`, with which the
  language host hands a program its config and runs it;
- the SDK hands every call to the resource monitor to the event loop's default executor:
  `InlineExecutor` runs them at once in the loop's thread, so registrations arrive in the order the
  program makes them.

Each guard checks its contract when first needed, on probes of its own (not on the stack), and a
broken contract is one `SdkContractError` naming the SDK version: never a misbehaving run, and
never a message that blames the user.
"""

from __future__ import annotations

import asyncio
import functools
import threading
import typing
from collections import Counter, deque
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from importlib import metadata
from typing import Any, TypeVar

import pulumi
from pulumi import _types
from pulumi.runtime import config as runtime_config
from pulumi.runtime import settings
from pulumi.runtime import stack as runtime_stack

from compliance.model.errors import SdkContractError

SDK_DISTRIBUTION = "pulumi"
T = TypeVar("T")


def sdk_version() -> str:
    try:
        return metadata.version(SDK_DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return "(version unknown)"


def broken(contract: str) -> SdkContractError:
    """The error for a contract the installed SDK no longer keeps."""
    return SdkContractError(
        f"pulumi {sdk_version()}: {contract}; the offline engine relies on it "
        "(compliance/model/pulumi_internals.py), so it stops here rather than guess"
    )


def _internal(owner: object, name: str, where: str) -> Any:
    found = getattr(owner, name, None)
    if found is None:
        raise broken(f"{where}.{name} no longer exists")
    return found


# --- pulumi._types: a resource class's outputs, an input type's fields ---------------------------


class _ProbeResource(pulumi.CustomResource):
    @property
    @pulumi.getter(name="keyId")
    def key_id(self) -> pulumi.Output[str]:
        return pulumi.get(self, "key_id")  # type: ignore[no-any-return]


@pulumi.input_type
class _ProbeBlockArgs:
    def __init__(self, *, name: pulumi.Input[str]) -> None:
        pulumi.set(self, "name", name)

    @property
    @pulumi.getter
    def name(self) -> pulumi.Input[str]:
        return pulumi.get(self, "name")  # type: ignore[no-any-return]

    @name.setter
    def name(self, value: pulumi.Input[str]) -> None:
        pulumi.set(self, "name", value)


@pulumi.input_type
class _ProbeArgs:
    def __init__(
        self,
        *,
        blocks: pulumi.Input[Sequence[pulumi.Input[_ProbeBlockArgs]]] | None = None,
        tags: pulumi.Input[Mapping[str, pulumi.Input[str]]] | None = None,
    ) -> None:
        pulumi.set(self, "blocks", blocks)
        pulumi.set(self, "tags", tags)

    @property
    @pulumi.getter(name="blocks")
    def blocks(self) -> pulumi.Input[Sequence[pulumi.Input[_ProbeBlockArgs]]] | None:
        return pulumi.get(self, "blocks")  # type: ignore[no-any-return]

    @blocks.setter
    def blocks(self, value: pulumi.Input[Sequence[pulumi.Input[_ProbeBlockArgs]]] | None) -> None:
        pulumi.set(self, "blocks", value)

    @property
    @pulumi.getter(name="tags")
    def tags(self) -> pulumi.Input[Mapping[str, pulumi.Input[str]]] | None:
        return pulumi.get(self, "tags")  # type: ignore[no-any-return]

    @tags.setter
    def tags(self, value: pulumi.Input[Mapping[str, pulumi.Input[str]]] | None) -> None:
        pulumi.set(self, "tags", value)


@functools.cache
def _output_names_reader() -> Callable[[type], Mapping[str, str]]:
    reader: Callable[[type], Mapping[str, str]] = _internal(
        _types, "resource_pulumi_to_py_names", "pulumi._types"
    )
    try:
        names = dict(reader(_ProbeResource))
    except Exception as error:  # any failure on the probe is the contract broken
        raise broken(
            f"pulumi._types.resource_pulumi_to_py_names fails on a probe ({error})"
        ) from None
    if names != {"keyId": "key_id"}:
        raise broken(
            "pulumi._types.resource_pulumi_to_py_names no longer maps a resource's output names "
            f"to its properties (a probe gave {names})"
        )
    return reader


def resource_output_names(resource_class: type) -> frozenset[str]:
    """The Pulumi (camelCase) names of a resource class's outputs."""
    return frozenset(_output_names_reader()(resource_class))


@functools.cache
def _input_type_readers() -> tuple[
    Callable[[type], Mapping[str, Any]], Callable[[Any], Any], Callable[[type], bool]
]:
    fields: Callable[[type], Mapping[str, Any]] = _internal(
        _types, "input_type_types", "pulumi._types"
    )
    unwrap: Callable[[Any], Any] = _internal(_types, "unwrap_type", "pulumi._types")
    is_input: Callable[[type], bool] = _internal(_types, "is_input_type", "pulumi._types")
    try:
        probe = dict(fields(_ProbeArgs))
        blocks_origin = typing.get_origin(probe.get("blocks"))
        element = unwrap(typing.get_args(probe.get("blocks"))[0])
        tags_origin = typing.get_origin(probe.get("tags"))
        recognised = bool(is_input(_ProbeBlockArgs)) and not is_input(str)
    except Exception as error:  # any failure on the probe is the contract broken
        raise broken(f"pulumi._types no longer reads an input type's fields ({error})") from None
    if not (
        set(probe) == {"blocks", "tags"}
        and blocks_origin in (list, Sequence, typing.Sequence)
        and element is _ProbeBlockArgs
        and tags_origin in (dict, Mapping, typing.Mapping)
        and recognised
    ):
        raise broken(
            "pulumi._types no longer gives an input type's fields as unwrapped types by Pulumi "
            f"name (a probe gave {probe})"
        )
    return fields, unwrap, is_input


def input_type_fields(input_type: type) -> dict[str, Any]:
    """An input type's fields by Pulumi name, each its type with `Input`/`Optional` unwrapped."""
    return dict(_input_type_readers()[0](input_type))


def unwrap_input(annotation: Any) -> Any:
    """`T` of `Input[T]`, `Output[T]` or `Optional[T]`."""
    return _input_type_readers()[1](annotation)


def is_input_type(candidate: object) -> bool:
    return isinstance(candidate, type) and bool(_input_type_readers()[2](candidate))


# --- pulumi.runtime: running a program as the language host does ---------------------------------


class OutstandingOutputs:
    """The SDK's collection of unresolved outputs when it is a deque, with removal in O(1).

    The SDK appends every output it creates and removes each resolved one with `deque.remove`,
    which scans: with tens of thousands of outputs pending (thousands of resources), that is
    quadratic and dominates the run. Here an output that resolves is only uncounted; `popleft`
    skips entries that no longer count. An operation the SDK starts to use that this does not
    offer is recorded as a broken contract instead of failing somewhere in the program.
    """

    _OPERATIONS = frozenset({"append", "remove", "popleft", "clear"})

    def __init__(self, runtime: ProgramRuntime) -> None:
        self._runtime = runtime
        self._order: deque[Any] = deque()
        self._pending: Counter[Any] = Counter()
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def __getattr__(self, name: str) -> Any:
        raise self._runtime.record(
            f"the SDK now uses SETTINGS.outputs.{name}, which the O(1) replacement of its deque of "
            f"pending outputs does not offer (it offers {', '.join(sorted(self._OPERATIONS))})"
        )

    def append(self, task: Any) -> None:
        self._order.append(task)
        self._pending[task] += 1
        self._size += 1

    def remove(self, task: Any) -> None:
        if self._pending[task] <= 0:
            raise ValueError("not pending")
        self._uncount(task)

    def popleft(self) -> Any:
        while True:
            task = self._order.popleft()
            if self._pending[task] > 0:
                self._uncount(task)
                return task

    def clear(self) -> None:
        self._order.clear()
        self._pending.clear()
        self._size = 0

    def _uncount(self, task: Any) -> None:
        self._pending[task] -= 1
        if not self._pending[task]:
            del self._pending[task]
        self._size -= 1


class InlineExecutor(ThreadPoolExecutor):
    """Runs each submitted call immediately in the submitting thread (asyncio only accepts a
    `ThreadPoolExecutor` as the default executor; this one never starts a thread)."""

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        future: Future[T] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as error:  # handed to the awaiting SDK code, as a thread would
            future.set_exception(error)
        return future


class ProgramRuntime:
    """The SDK's ambient state for one offline run of a program, configured as the language host
    configures it, with the guards that watch the contracts while the program runs.

    A contract broken while the program runs (a call that reaches the monitor from a thread of the
    SDK's own, an operation on the pending outputs the replacement lacks) is recorded: the SDK may
    swallow or wrap the exception, so `check` raises it once the run is over.
    """

    def __init__(self) -> None:
        self._violations: list[str] = []
        self._loop_thread: int | None = None

    def configure(
        self,
        *,
        project: str,
        stack: str,
        monitor: Any,
        engine: Any,
        root_directory: str,
        config: Mapping[str, str],
        secret_keys: Sequence[str],
    ) -> None:
        root = _internal(settings, "ROOT", "pulumi.runtime.settings")
        if not hasattr(root, "set"):
            raise broken("pulumi.runtime.settings.ROOT is no longer a context variable")
        root.set(None)
        settings_class = _internal(settings, "Settings", "pulumi.runtime.settings")
        try:
            ambient = settings_class(
                project=project,
                stack=stack,
                monitor=monitor,
                engine=engine,
                dry_run=True,
                organization="organization",
                root_directory=root_directory,
            )
        except TypeError as error:
            raise broken(
                f"pulumi.runtime.settings.Settings takes other arguments ({error})"
            ) from None
        _internal(settings, "configure", "pulumi.runtime.settings")(ambient)
        self._track_outputs()
        set_all_config = _internal(runtime_config, "set_all_config", "pulumi.runtime.config")
        set_all_config(dict(config), list(secret_keys))

    def _track_outputs(self) -> None:
        pending = getattr(settings.SETTINGS, "outputs", None)
        if isinstance(pending, set):
            return  # already O(1): the SDK adds and discards
        if type(pending) is deque:
            settings.SETTINGS.outputs = OutstandingOutputs(self)
            return
        raise broken(
            "pulumi.runtime.settings.SETTINGS.outputs, the SDK's pending outputs, is "
            f"{type(pending).__name__}, neither the deque it replaces nor a set"
        )

    def event_loop(self) -> asyncio.AbstractEventLoop:
        """A new event loop whose default executor runs each call at once, in the loop's thread."""
        loop = asyncio.new_event_loop()
        loop.set_default_executor(InlineExecutor())
        self._loop_thread = threading.get_ident()
        return loop

    async def run_in_stack(self, program: Callable[[], None]) -> None:
        """Run `program` inside the root stack resource until every registration settles."""
        run = _internal(runtime_stack, "run_in_stack", "pulumi.runtime.stack")
        await run(program)

    def on_monitor_call(self, call: str) -> None:
        """Told of each call that reaches the resource monitor, from the thread it runs in."""
        if self._loop_thread is not None and threading.get_ident() != self._loop_thread:
            self.record(
                f"the SDK calls the resource monitor's {call} from a thread of its own, not "
                "through the event loop's default executor, so registrations would arrive in "
                "the order threads happen to run"
            )

    def record(self, contract: str) -> SdkContractError:
        self._violations.append(contract)
        return broken(contract)

    def check(self) -> None:
        """Raise the first contract broken while the program ran."""
        if self._violations:
            raise broken(self._violations[0])
