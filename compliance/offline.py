"""Offline mode: the Pulumi program runs under the SDK's mocks, recorded as the engine sees it.

`run_program` configures the Python SDK the way the language host does (project, stack, stack
config, preview), with a `MockMonitor` subclass in place of the engine's resource monitor, and runs
the program's `main` inside `run_in_stack`, so every registration, invoke and stack output settles
before it returns. The monitor mirrors what the engine does in a first preview:

- URNs are built as the engine builds them (a child's type is qualified by its parent's, the root
  stack's type is left out);
- the engine, not the program, registers default providers: one `pulumi:providers:<package>`
  named `default_<version>` from the stack config's `<package>:*` keys is registered the first
  time a custom resource (or an invoke) of that package comes without an explicit provider, and
  the resource's provider reference points at it;
- nothing has been created yet, so no id comes back, and a custom resource's state is what the
  provider's preview of its create returns: its inputs, and every other output its type declares
  (ids, ARNs, generated names) unknown. The program gets that state back (so `bucket.arn` is
  unknown there too) and the graph records it as the resource's outputs, which stack policies
  read. A provider's state is its inputs; provider ids in provider references are unknown.

Secure stack config values (`{secure: ...}`) cannot be decrypted without the stack's secrets
provider; they are given to the program, and to default providers, as secret unknown values.
The one invoke the program makes, `aws.get_caller_identity`, answers with a placeholder account.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import os
import re
import runpy
import sys
import threading
import traceback
from collections import Counter, deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime import settings
from pulumi.runtime.config import set_all_config
from pulumi.runtime.mocks import MockCallArgs, MockEngine, MockMonitor, MockResourceArgs, Mocks
from pulumi.runtime.proto import engine_pb2, resource_pb2
from pulumi.runtime.stack import run_in_stack

from compliance.aws_sdk import unknown_outputs
from compliance.errors import UserError
from compliance.files import read_yaml_mapping
from compliance.graph import (
    PROVIDER_TYPE_PREFIX,
    STACK_TYPE,
    UNKNOWN,
    GraphResource,
    ResourceGraph,
    provider_urn,
    secret,
)
from compliance.quiet import quieted
from compliance.structs import struct_dict

PLACEHOLDER_ACCOUNT_ID = "123456789012"
"""The AWS account offline previews run as (AWS's documentation example account)."""

CALLER_IDENTITY_TOKEN = "aws:index/getCallerIdentity:getCallerIdentity"
T = TypeVar("T")


class StackConfigError(UserError):
    """`Pulumi.yaml` or `Pulumi.<stack>.yaml` is missing or malformed."""


class ProgramError(UserError):
    """The Pulumi program raised; the message names the program file and line."""


@dataclass(frozen=True)
class StackConfig:
    """A stack's configuration as the language host hands it to a program: every value a string."""

    values: dict[str, str]
    secret_keys: frozenset[str] = frozenset()

    def get(self, key: str) -> str | None:
        return self.values.get(key)

    def package_inputs(self, package: str) -> dict[str, Any]:
        """A default provider's inputs: the `<package>:*` keys, unqualified, secrets wrapped."""
        inputs: dict[str, Any] = {}
        for key, value in self.values.items():
            namespace, _, name = key.partition(":")
            if namespace != package:
                continue
            inputs[name] = secret(value) if key in self.secret_keys else value
        return inputs


@dataclass(frozen=True)
class Project:
    name: str
    directory: Path
    main: Path
    """The program's directory (`main` in `Pulumi.yaml`), where the program runs."""
    config_defaults: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class OfflineRun:
    graph: ResourceGraph
    messages: tuple[ProgramMessage, ...] = ()
    """What the program logged (`pulumi.log`), info and above, in order."""

    @property
    def outputs(self) -> dict[str, Any]:
        return self.graph.outputs


@dataclass(frozen=True)
class ProgramMessage:
    severity: str
    """`info`, `warning` or `error`, as the CLI prints them."""
    message: str
    urn: str
    """The resource the message is about; the stack's when the program named none."""


def stack_config_path(project_dir: Path, stack: str) -> Path:
    """`Pulumi.<stack>.yaml`, beside the project's `Pulumi.yaml`."""
    return project_dir / f"Pulumi.{stack}.yaml"


def load_project(project_dir: Path) -> Project:
    path = project_dir / "Pulumi.yaml"
    document = read_yaml_mapping(path, StackConfigError)
    name = document.get("name")
    if not isinstance(name, str) or not name:
        raise StackConfigError(f"{path}: name: required, the project's name")
    main = document.get("main") or "."
    if not isinstance(main, str):
        raise StackConfigError(f"{path}: main: must be a path, got {main!r}")
    raw_config = document.get("config") or {}
    if not isinstance(raw_config, dict):
        raise StackConfigError(f"{path}: config: must be a map of keys to values")
    defaults: dict[str, str] = {}
    for key, declared in raw_config.items():
        value = (
            declared.get("default", declared.get("value"))
            if isinstance(declared, dict)
            else declared
        )
        if value is not None:
            defaults[_qualified_key(str(key), name)] = _config_text(value)
    return Project(name, project_dir, (project_dir / main).resolve(), defaults)


def load_stack_config(project: Project, stack: str) -> StackConfig:
    """Read `Pulumi.<stack>.yaml` over the project's defaults, as `pulumi config` would show it."""
    path = stack_config_path(project.directory, stack)
    raw = read_yaml_mapping(path, StackConfigError).get("config") or {}
    if not isinstance(raw, dict):
        raise StackConfigError(f"{path}: config: must be a map of keys to values")
    values = dict(project.config_defaults)
    secret_keys: set[str] = set()
    for raw_key, value in raw.items():
        key = _qualified_key(str(raw_key), project.name)
        if isinstance(value, dict) and set(value) == {"secure"}:
            # Offline there is no secrets provider to decrypt it: a secret that preview cannot know.
            values[key] = UNKNOWN
            secret_keys.add(key)
        elif value is None:
            raise StackConfigError(f"{path}: config.{raw_key}: has no value")
        else:
            values[key] = _config_text(value)
    return StackConfig(values, frozenset(secret_keys))


Registered = Callable[[GraphResource, GraphResource | None], None]
"""Told of each registration as it happens: the resource and its provider."""


def run_program(
    project_dir: Path, stack: str, *, on_register: Registered | None = None
) -> OfflineRun:
    """Run the stack's program offline (a first preview) and record what it registers.

    `on_register` is told of each resource as the engine would see it arrive (from the SDK's
    worker threads), so the policy pack can analyze it while the program goes on, as the engine
    analyzes each registration.
    """
    project = load_project(project_dir.resolve())
    config = load_stack_config(project, stack)
    program = project.main / "__main__.py"
    if not program.is_file():
        raise StackConfigError(f"{project.directory / 'Pulumi.yaml'}: main: no {program}")
    monitor = RecordingMonitor(OfflineMocks(), project.name, stack, config, on_register)
    engine = RecordingEngine()
    context = contextvars.copy_context()
    try:
        context.run(_run_in_stack, project, stack, config, monitor, engine)
    except UserError:
        raise
    except Exception as error:
        raise ProgramError(_describe_program_error(error, project)) from error
    graph = ResourceGraph(project.name, stack, monitor.resources_in_order())
    root = graph.root.urn if graph.root else ""
    messages = tuple(replace(m, urn=m.urn or root) for m in engine.messages)
    return OfflineRun(graph, messages)


class OfflineMocks(Mocks):
    """Answers the engine's side of invokes and reads; registrations are handled by the monitor."""

    def call(self, args: MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        if args.token == CALLER_IDENTITY_TOKEN:
            return {
                "accountId": PLACEHOLDER_ACCOUNT_ID,
                "arn": f"arn:aws:iam::{PLACEHOLDER_ACCOUNT_ID}:user/offline-preview",
                "id": PLACEHOLDER_ACCOUNT_ID,
                "userId": "AIDAOFFLINEPREVIEW",
            }, []
        raise UserError(
            f"offline preview cannot answer the invoke {args.token}: only {CALLER_IDENTITY_TOKEN} "
            "is known offline (run the preview with the Pulumi CLI)"
        )

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        # Preview: nothing exists yet, so no id.
        return None, {**args.inputs, **unknown_outputs(args.typ, args.inputs)}


class RecordingMonitor(MockMonitor):
    """A resource monitor that records each registration the way the engine stores it."""

    def __init__(
        self,
        mocks: Mocks,
        project: str,
        stack: str,
        config: StackConfig,
        on_register: Registered | None = None,
    ) -> None:
        super().__init__(mocks)
        self._project = project
        self._stack = stack
        self._config = config
        self._on_register = on_register
        self._lock = threading.Lock()
        self._recorded: dict[str, GraphResource] = {}
        self._default_providers: dict[tuple[str, str], str] = {}

    def resources_in_order(self) -> tuple[GraphResource, ...]:
        """Registration order, the stack first as the engine writes it (an early invoke's default
        provider can reach the monitor before the stack's own registration does)."""
        resources = list(self._recorded.values())
        return tuple(sorted(resources, key=lambda r: r.type != STACK_TYPE))

    def RegisterResource(
        self, request: resource_pb2.RegisterResourceRequest
    ) -> resource_pb2.RegisterResourceResponse:
        with self._lock:
            urn = self._urn(request.parent, request.type, request.name)
            provider = request.provider or None
            inputs = struct_dict(request.object)
            unknown = unknown_outputs(request.type, inputs) if request.custom else {}
            if (
                request.custom
                and provider is None
                and not request.type.startswith(PROVIDER_TYPE_PREFIX)
            ):
                provider = self._default_provider(_package(request.type), request.version)
            self._record(
                GraphResource(
                    urn=urn,
                    type=request.type,
                    custom=request.custom,
                    inputs=inputs,
                    outputs={**inputs, **unknown} if request.custom else {},
                    parent=request.parent or None,
                    dependencies=tuple(sorted(set(request.dependencies))),
                    property_dependencies={
                        key: tuple(sorted(set(deps.urns)))
                        for key, deps in sorted(request.propertyDependencies.items())
                    },
                    protect=request.protect,
                    provider=provider,
                )
            )
        if request.type == STACK_TYPE:
            return resource_pb2.RegisterResourceResponse(urn=urn)
        state = struct_pb2.Struct()
        state.CopyFrom(request.object)
        state.update(unknown)
        return resource_pb2.RegisterResourceResponse(urn=urn, object=state)

    def RegisterResourceOutputs(
        self, request: resource_pb2.RegisterResourceOutputsRequest
    ) -> empty_pb2.Empty:
        outputs = struct_dict(request.outputs)
        with self._lock:
            registered = self._recorded.get(request.urn)
            if registered is not None:
                self._recorded[request.urn] = replace(registered, outputs=outputs)
        return empty_pb2.Empty()

    def Invoke(self, request: resource_pb2.ResourceInvokeRequest) -> Any:
        if not request.provider:
            with self._lock:
                self._default_provider(_package(request.tok), request.version)
        return super().Invoke(request)  # type: ignore[no-untyped-call]

    def _record(self, resource: GraphResource) -> None:
        """Record a registration (under the lock) and pass it on with its provider."""
        self._recorded[resource.urn] = resource
        if self._on_register is not None:
            provider = self._recorded.get(provider_urn(resource.provider or ""))
            self._on_register(resource, provider if resource.provider else None)

    def _urn(self, parent: str, type_: str, name: str) -> str:
        qualified = type_
        if parent:
            parent_type = parent.split("::")[2]
            if parent_type != STACK_TYPE:
                qualified = f"{parent_type}${type_}"
        return f"urn:pulumi:{self._stack}::{self._project}::{qualified}::{name}"

    def _default_provider(self, package: str, version: str) -> str:
        """The reference to the package's default provider, registered on first use."""
        key = (package, version)
        reference = self._default_providers.get(key)
        if reference is None:
            name = "default_" + re.sub(r"[^A-Za-z0-9]", "_", version) if version else "default"
            type_ = f"{PROVIDER_TYPE_PREFIX}{package}"
            urn = self._urn("", type_, name)
            inputs = self._config.package_inputs(package)
            if version:
                inputs["version"] = version
            self._record(
                GraphResource(urn=urn, type=type_, custom=True, inputs=inputs, outputs=dict(inputs))
            )
            reference = f"{urn}::{UNKNOWN}"
            self._default_providers[key] = reference
        return reference


_LOG_SEVERITIES = {
    engine_pb2.INFO: "info",
    engine_pb2.WARNING: "warning",
    engine_pb2.ERROR: "error",
}


class RecordingEngine(MockEngine):
    """The engine's log service: keeps what the program logs, for the preview to print."""

    def __init__(self) -> None:
        super().__init__(logger=None)
        self.messages: list[ProgramMessage] = []

    def Log(self, request: engine_pb2.LogRequest) -> None:
        severity = _LOG_SEVERITIES.get(request.severity)
        if severity is not None:
            self.messages.append(ProgramMessage(severity, request.message, request.urn))


class OutstandingOutputs:
    """The SDK's list of unresolved outputs, with the operations it uses, removal in O(1).

    The SDK keeps every output it creates in a deque until it resolves, and removes each
    resolved one with `deque.remove`, which scans: with tens of thousands of outputs pending
    (thousands of resources), that is quadratic and dominates the run. Here an output that
    resolves is only uncounted; `popleft` skips entries that no longer count.
    """

    def __init__(self) -> None:
        self._order: deque[Any] = deque()
        self._pending: Counter[Any] = Counter()
        self._size = 0

    def __len__(self) -> int:
        return self._size

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


class _InlineExecutor(ThreadPoolExecutor):
    """Runs each submitted call immediately in the submitting thread (asyncio only accepts a
    `ThreadPoolExecutor` as the default executor; this one never starts a thread)."""

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        future: Future[T] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as error:  # handed to the awaiting SDK code, as a thread would
            future.set_exception(error)
        return future


def _run_in_stack(
    project: Project,
    stack: str,
    config: StackConfig,
    monitor: RecordingMonitor,
    engine: RecordingEngine,
) -> None:
    """Configure the SDK as the language host does and run the program to completion."""
    settings.ROOT.set(None)
    settings.configure(
        settings.Settings(
            project=project.name,
            stack=stack,
            monitor=monitor,
            engine=engine,
            dry_run=True,
            organization="organization",
            root_directory=str(project.directory),
        )
    )
    settings.SETTINGS.outputs = OutstandingOutputs()
    set_all_config(config.values, sorted(config.secret_keys))
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    # The SDK hands each call to the monitor to an executor; run them at once, in the loop's own
    # thread, so they reach the monitor in the order the program makes them and every run
    # records the same registration order (threads would interleave them by timing).
    loop.set_default_executor(_InlineExecutor())
    try:
        # A failure is reported once, by us: not again by asyncio for each task it left behind.
        with _program_directory(project), quieted("asyncio", logging.CRITICAL):
            try:
                loop.run_until_complete(run_in_stack(lambda: _run_main(project.main)))
            finally:
                # A failed program leaves registrations pending: settle them before the loop goes.
                for task in asyncio.all_tasks(loop):
                    task.cancel()
                    with suppress(BaseException):
                        loop.run_until_complete(task)
    finally:
        asyncio.set_event_loop(None)
        loop.close()


def _run_main(main: Path) -> None:
    runpy.run_path(str(main), run_name="__main__")


@contextmanager
def _program_directory(project: Project) -> Iterator[None]:
    """Run where the CLI runs the program: in its `main` directory, with the project importable."""
    previous = Path.cwd()
    sys.path.insert(0, str(project.directory))
    os.chdir(project.main)
    try:
        yield
    finally:
        os.chdir(previous)
        sys.path.remove(str(project.directory))


def _describe_program_error(error: BaseException, project: Project) -> str:
    """One line: where in the project the program failed, and the program's own message."""
    where = "the program"
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        path = Path(frame.filename)
        if path.is_relative_to(project.directory) and ".venv" not in path.parts:
            where = f"{path.relative_to(project.directory)}:{frame.lineno}"
            break
    message = str(error).strip().splitlines()
    detail = message[0] if message else ""
    return f"{where}: {type(error).__name__}: {detail}".rstrip(": ")


def _qualified_key(key: str, project: str) -> str:
    return key if ":" in key else f"{project}:{key}"


def _config_text(value: object) -> str:
    """A config value as the CLI passes it: strings as they are, everything else as JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def _package(token: str) -> str:
    return token.split(":", 1)[0]
