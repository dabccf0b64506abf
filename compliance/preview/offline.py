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
import logging
import os
import re
import runpy
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pulumi
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.mocks import MockCallArgs, MockEngine, MockMonitor, MockResourceArgs, Mocks
from pulumi.runtime.proto import engine_pb2, resource_pb2

import compliance
from compliance.model.aws_sdk import unknown_outputs
from compliance.model.errors import SdkContractError, UserError
from compliance.model.graph import (
    PROVIDER_TYPE_PREFIX,
    STACK_TYPE,
    UNKNOWN,
    GraphResource,
    ResourceGraph,
    provider_urn,
)
from compliance.model.pulumi_internals import ProgramRuntime
from compliance.model.quiet import quieted
from compliance.preview.project import (
    Project,
    StackConfig,
    StackConfigError,
    load_project,
    load_stack_config,
)
from compliance.preview.structs import struct_dict

PLACEHOLDER_ACCOUNT_ID = "123456789012"
"""The AWS account offline previews run as (AWS's documentation example account)."""

CALLER_IDENTITY_TOKEN = "aws:index/getCallerIdentity:getCallerIdentity"
TOOLING_DIRECTORY = Path(compliance.__file__).resolve().parent
_ENVIRONMENTS = frozenset({".venv", ".nox", "site-packages"})
_DRIVERS = frozenset({"run_program", "_run_in_stack"})
"""The tooling's frames that run the program: below every error, so never its cause."""


class ProgramError(UserError):
    """The Pulumi program raised; the message names the program file and line (a
    `pulumi.RunError`, which the CLI prints without a traceback, is its message alone)."""


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
    runtime = ProgramRuntime()
    monitor = RecordingMonitor(
        OfflineMocks(),
        project=project.name,
        stack=stack,
        config=config,
        runtime=runtime,
        on_register=on_register,
    )
    engine = RecordingEngine()
    context = contextvars.copy_context()
    try:
        context.run(
            _run_in_stack, project, stack, config, runtime=runtime, monitor=monitor, engine=engine
        )
    except (UserError, SdkContractError):
        raise
    except Exception as error:
        _raise_what_is_not_the_programs(runtime, monitor)
        if isinstance(error, pulumi.RunError):
            raise ProgramError(str(error)) from error
        if _raised_by_the_tooling(error, project):
            raise
        raise ProgramError(_describe_program_error(error, project)) from error
    _raise_what_is_not_the_programs(runtime, monitor)
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
        *,
        project: str,
        stack: str,
        config: StackConfig,
        runtime: ProgramRuntime,
        on_register: Registered | None = None,
    ) -> None:
        super().__init__(mocks)
        self._project = project
        self._stack = stack
        self._config = config
        self._runtime = runtime
        self._on_register = on_register
        self._lock = threading.Lock()
        self._recorded: dict[str, GraphResource] = {}
        self._default_providers: dict[tuple[str, str], str] = {}
        self.fault: Exception | None = None
        """The first error the monitor's own code raised (a bug of ours, not the program's)."""

    def resources_in_order(self) -> tuple[GraphResource, ...]:
        """Registration order, the stack first as the engine writes it (an early invoke's default
        provider can reach the monitor before the stack's own registration does)."""
        resources = list(self._recorded.values())
        return tuple(sorted(resources, key=lambda r: r.type != STACK_TYPE))

    def RegisterResource(
        self, request: resource_pb2.RegisterResourceRequest
    ) -> resource_pb2.RegisterResourceResponse:
        with self._serving("RegisterResource"):
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
        with self._serving("RegisterResourceOutputs"):
            outputs = struct_dict(request.outputs)
            registered = self._recorded.get(request.urn)
            if registered is not None:
                self._recorded[request.urn] = replace(registered, outputs=outputs)
        return empty_pb2.Empty()

    def Invoke(self, request: resource_pb2.ResourceInvokeRequest) -> Any:
        with self._serving("Invoke"):
            if not request.provider:
                self._default_provider(_package(request.tok), request.version)
        return super().Invoke(request)  # type: ignore[no-untyped-call]

    @contextmanager
    def _serving(self, call: str) -> Iterator[None]:
        """One call from the SDK, under the lock. An error of ours is kept as `fault`, for
        `run_program` to raise as what it is: the SDK may lose its traceback on the way."""
        self._runtime.on_monitor_call(call)
        try:
            with self._lock:
                yield
        except UserError:
            raise
        except Exception as error:
            if self.fault is None:
                self.fault = error
            raise

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


def _run_in_stack(
    project: Project,
    stack: str,
    config: StackConfig,
    *,
    runtime: ProgramRuntime,
    monitor: RecordingMonitor,
    engine: RecordingEngine,
) -> None:
    """Configure the SDK as the language host does and run the program to completion."""
    runtime.configure(
        project=project.name,
        stack=stack,
        monitor=monitor,
        engine=engine,
        root_directory=str(project.directory),
        config=config.values,
        secret_keys=sorted(config.secret_keys),
    )
    # Calls to the monitor run at once in the loop's own thread, so they reach it in the order
    # the program makes them and every run records the same registration order.
    loop = runtime.event_loop()
    asyncio.set_event_loop(loop)
    try:
        # A failure is reported once, by us: not again by asyncio for each task it left behind.
        with _program_directory(project), quieted("asyncio", logging.CRITICAL):
            try:
                loop.run_until_complete(runtime.run_in_stack(lambda: _run_main(project.main)))
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


def _raise_what_is_not_the_programs(runtime: ProgramRuntime, monitor: RecordingMonitor) -> None:
    """A contract the SDK broke, or a fault of the monitor's own code, in the run just over."""
    runtime.check()
    if monitor.fault is not None:
        raise monitor.fault


def _raised_by_the_tooling(error: BaseException, project: Project) -> bool:
    """Whether the innermost frame of ours or the project's that raised is the tooling's own
    (other than the frames that drive the run): a bug of ours, shown as what it is."""
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        path = Path(frame.filename).resolve()
        if path.is_relative_to(TOOLING_DIRECTORY):
            if frame.name not in _DRIVERS:
                return True
        elif _in_project(path, project):
            return False
    return False


def _describe_program_error(error: BaseException, project: Project) -> str:
    """One line: where in the project the program failed, and the program's own message."""
    frame = _innermost_project_frame(error, project)
    where = "the program"
    if frame is not None:
        where = f"{Path(frame.filename).resolve().relative_to(project.directory)}:{frame.lineno}"
    message = str(error).strip().splitlines()
    detail = message[0] if message else ""
    return f"{where}: {type(error).__name__}: {detail}".rstrip(": ")


def _innermost_project_frame(
    error: BaseException, project: Project
) -> traceback.FrameSummary | None:
    """The deepest frame in the project's own files (not in an environment inside it)."""
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        if _in_project(Path(frame.filename).resolve(), project):
            return frame
    return None


def _in_project(path: Path, project: Project) -> bool:
    """A file of the project's own (not of an environment inside it)."""
    return path.is_relative_to(project.directory) and not _ENVIRONMENTS & set(path.parts)


def _package(token: str) -> str:
    return token.split(":", 1)[0]
