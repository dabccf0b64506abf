"""Run the real stack program under Pulumi's mocks and record every registration.

`run_stack(config)` runs `infra/__main__.py` with `runpy`, as the language host and the offline
preview do, on a fresh root stack and a recording monitor, waits for every output and returns what
was registered (type, name, inputs, parent, dependencies, property dependencies, protect), the
stack's exports, the warnings logged and the invokes made.
"""

import asyncio
import importlib
import inspect
import json
import logging
import runpy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.runtime import mocks, rpc, settings
from pulumi.runtime.config import set_all_config

from infra.config import PROJECT_ROOT

ACCOUNT_ID = "123456789012"
REGION = "eu-west-1"
MIGRATION_DATE = "2026-12-01"
BASE_CONFIG: Mapping[str, str] = {"aws:region": REGION, "payments:migrationDate": MIGRATION_DATE}
PROGRAM = PROJECT_ROOT / "infra" / "__main__.py"


@dataclass(frozen=True)
class Registration:
    urn: str
    type: str
    name: str
    custom: bool
    inputs: dict[str, Any]
    parent: str
    protect: bool
    dependencies: tuple[str, ...]
    property_dependencies: dict[str, tuple[str, ...]]


@dataclass
class StackRun:
    registrations: list[Registration] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    invokes: list[str] = field(default_factory=list)

    def of_type(self, token: str) -> list[Registration]:
        return [r for r in self.registrations if r.type == token]

    def one(self, token: str, name: str | None = None) -> Registration:
        found = [r for r in self.of_type(token) if name is None or r.name == name]
        assert len(found) == 1, f"{len(found)} {token} named {name}: {[r.name for r in found]}"
        return found[0]

    def by_urn(self, urn: str) -> Registration:
        return next(r for r in self.registrations if r.urn == urn)

    def linked(self, registration: Registration, prop: str) -> list[Registration]:
        """The resources a property depends on (what the engine records as its links)."""
        return [self.by_urn(urn) for urn in registration.property_dependencies.get(prop, ())]


def taggable(token: str) -> bool:
    """Whether the pulumi-aws class behind a type token has a `tags` input."""
    _, module_path, name = token.split(":")
    module = module_path.split("/")[0]
    cls = getattr(importlib.import_module(f"pulumi_aws.{module}{'_' * (module == 'lambda')}"), name)
    return "tags" in inspect.signature(cls._internal_init).parameters


def statements(policy: str) -> list[dict[str, Any]]:
    """The statements of a JSON policy document."""
    document: dict[str, Any] = json.loads(policy)
    return list(document["Statement"])


def _arn(service: str, resource: str) -> str:
    return f"arn:aws:{service}:{REGION}:{ACCOUNT_ID}:{resource}"


class StackMocks(pulumi.runtime.Mocks):
    """Computes what AWS would: ids, ARNs and the few other outputs the program reads.

    In a preview nothing exists yet: the state is the inputs, every computed output is unknown.
    """

    def __init__(self, run: StackRun, *, preview: bool) -> None:
        self.run = run
        self.preview = preview

    def call(
        self, args: pulumi.runtime.MockCallArgs
    ) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        self.run.invokes.append(args.token)
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {"accountId": ACCOUNT_ID, "arn": _arn("iam", "user/ci"), "userId": "AIDA"}, []
        return {}, []

    def new_resource(
        self, args: pulumi.runtime.MockResourceArgs
    ) -> tuple[str | None, dict[str, Any]]:
        state = dict(args.inputs)
        if self.preview:
            return None, state
        name = state.get("name", args.name)
        computed = _COMPUTED.get(args.typ)
        if computed is None:
            return f"{args.name}-id", {**state, "arn": _arn(args.typ.split(":")[1], args.name)}
        resource_id, outputs = computed(name, state)
        return resource_id, {**state, **outputs}


def _function(name: str, _: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    arn = _arn("lambda", f"function:{name}")
    invoke = f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{arn}/invocations"
    return name, {"arn": arn, "invokeArn": invoke}


def _stage(_: str, state: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    stage = state["stageName"]
    return f"stage-{stage}", {
        "arn": f"arn:aws:apigateway:{REGION}::/restapis/api-id/stages/{stage}",
        "invokeUrl": f"https://api-id.execute-api.{REGION}.amazonaws.com/{stage}",
    }


_COMPUTED: dict[str, Callable[[str, dict[str, Any]], tuple[str, dict[str, Any]]]] = {
    "aws:s3/bucket:Bucket": lambda _, state: (
        state["bucket"],
        {"arn": f"arn:aws:s3:::{state['bucket']}"},
    ),
    "aws:kms/key:Key": lambda *_: ("key-id", {"keyId": "key-id", "arn": _arn("kms", "key/key-id")}),
    "aws:dynamodb/table:Table": lambda name, _: (name, {"arn": _arn("dynamodb", f"table/{name}")}),
    "aws:lambda/function:Function": _function,
    "aws:apigateway/restApi:RestApi": lambda *_: (
        "api-id",
        {"rootResourceId": "root-id", "executionArn": _arn("execute-api", "api-id")},
    ),
    "aws:apigateway/stage:Stage": _stage,
    "aws:cloudwatch/logGroup:LogGroup": lambda name, _: (
        name,
        {"arn": _arn("logs", f"log-group:{name}")},
    ),
}


class RecordingMonitor(mocks.MockMonitor):
    def __init__(self, stack_mocks: StackMocks) -> None:
        super().__init__(stack_mocks)
        self.run = stack_mocks.run

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        if request.type != "pulumi:pulumi:Stack":
            self.run.registrations.append(
                Registration(
                    urn=response.urn,
                    type=request.type,
                    name=request.name,
                    custom=request.custom,
                    inputs=rpc.deserialize_properties(request.object),
                    parent=request.parent,
                    protect=request.protect,
                    dependencies=tuple(request.dependencies),
                    property_dependencies={
                        key: tuple(deps.urns) for key, deps in request.propertyDependencies.items()
                    },
                )
            )
        return response


class _Warnings(logging.Handler):
    def __init__(self, run: StackRun) -> None:
        super().__init__(logging.WARNING)
        self.run = run

    def emit(self, record: logging.LogRecord) -> None:
        self.run.warnings.append(record.getMessage())


def run_stack(
    config: Mapping[str, str] = BASE_CONFIG,
    /,
    *,
    into: StackRun | None = None,
    preview: bool = False,
    **overrides: str,
) -> StackRun:
    """Run the program with `config` (full keys) and `payments:<key>` overrides.

    What it registers is recorded into `into` (a new `StackRun` by default), so a run that raises
    can still be inspected.
    """
    run = StackRun() if into is None else into
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    logger = logging.getLogger(f"stack-run-{id(run)}")
    logger.propagate = False
    logger.addHandler(_Warnings(run))
    settings.ROOT.set(None)
    stack_mocks = StackMocks(run, preview=preview)
    mocks.set_mocks(
        stack_mocks,
        project="payments",
        stack="prod",
        preview=preview,
        logger=logger,
        monitor=RecordingMonitor(stack_mocks),
    )
    set_all_config(
        {
            **config,
            **{f"payments:{key}": value for key, value in overrides.items()},
        }
    )

    def program() -> pulumi.Output[Any]:
        runpy.run_path(str(PROGRAM), run_name="__main__")
        root = settings.get_root_resource()
        assert isinstance(root, pulumi.runtime.stack.Stack)
        return pulumi.Output.from_input(root.outputs).apply(run.outputs.update)

    try:
        pulumi.runtime.test(program)()  # type: ignore[no-untyped-call]
    finally:
        asyncio.set_event_loop(None)
        loop.close()
    return run
