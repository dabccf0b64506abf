"""A client of the analyzer gRPC protocol: runs a policy pack the way the Pulumi CLI does.

The CLI starts a Python pack as `python -u -m pulumi.policy <engine address> .` in the pack's
directory, with the stack named in `PULUMI_PROJECT`, `PULUMI_STACK` and `PULUMI_DRY_RUN`; the
pack serves the analyzer service on 127.0.0.1 and prints its port as the first line on stdout.
`PolicyPackProcess` does the same and then speaks the protocol: `GetAnalyzerInfo`, `Configure`,
`Remediate`, `Analyze` for one resource's inputs, `AnalyzeStack` for the whole graph's state.
"""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self

import grpc
from google.protobuf import empty_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from compliance.model.errors import UserError
from compliance.model.files import read_yaml_mapping, tail_of
from compliance.model.findings import Enforcement, Severity
from compliance.model.graph import UNKNOWN, GraphResource, ResourceGraph, is_secret, secret
from compliance.model.pack import PackInfo, PolicyInfo
from compliance.preview.pack_environment import judging_versions, pack_python
from compliance.preview.policy_config import PolicyConfigEntry
from compliance.preview.structs import struct_dict

START_TIMEOUT_SECONDS = 60.0
CALL_TIMEOUT_SECONDS = 120.0
STDERR_TAIL_CHARS = 4000
# The engine address the pack is given; a Python pack only passes it on to `pulumi.log`.
NO_ENGINE_ADDRESS = "127.0.0.1:0"
MAX_MESSAGE_BYTES = 400 * 1024 * 1024
UNABLE_TO_RUN_MARKER = "can't run policy '"

_ENFORCEMENT = {
    analyzer_pb2.ADVISORY: Enforcement.ADVISORY,
    analyzer_pb2.MANDATORY: Enforcement.MANDATORY,
    analyzer_pb2.REMEDIATE: Enforcement.REMEDIATE,
    analyzer_pb2.DISABLED: Enforcement.DISABLED,
}
_ENFORCEMENT_CODES = {level: code for code, level in _ENFORCEMENT.items()}
_SEVERITY = {
    analyzer_pb2.POLICY_SEVERITY_LOW: Severity.LOW,
    analyzer_pb2.POLICY_SEVERITY_MEDIUM: Severity.MEDIUM,
    analyzer_pb2.POLICY_SEVERITY_HIGH: Severity.HIGH,
    analyzer_pb2.POLICY_SEVERITY_CRITICAL: Severity.CRITICAL,
}


class PolicyPackError(UserError):
    """A policy pack that will not start, dies, or fails a call."""


@dataclass(frozen=True)
class Diagnostic:
    policy_name: str
    pack_name: str
    pack_version: str
    description: str
    message: str
    urn: str | None
    """The resource in violation; None for a violation of the stack as a whole."""
    enforcement: Enforcement
    severity: Severity | None
    unable_to_run: bool
    """The policy read a value unknown during preview and could not decide."""


@dataclass(frozen=True)
class NotApplicable:
    policy_name: str
    reason: str


@dataclass(frozen=True)
class AnalyzeResult:
    diagnostics: tuple[Diagnostic, ...]
    not_applicable: tuple[NotApplicable, ...]


@dataclass(frozen=True)
class Remediation:
    policy_name: str
    pack_name: str
    pack_version: str
    description: str
    properties: dict[str, Any] | None
    """The resource's new inputs, or None when the remediation only left a diagnostic."""
    diagnostic: str


class PolicyPackProcess:
    """A running policy pack; use as a context manager, which stops the process on exit."""

    def __init__(
        self,
        pack_dir: Path,
        *,
        project: str,
        stack: str,
        dry_run: bool = True,
        python: str | None = None,
    ) -> None:
        """`python`: the interpreter to run the pack with; by default the one its manifest asks
        for (its own virtualenv, built from its requirements), as the CLI runs it."""
        self.pack_dir = pack_dir.resolve()
        self._project = project
        self._stack = stack
        self._dry_run = dry_run
        self._given_python = python
        self._python = ""
        self._version = ""
        self._process: subprocess.Popen[bytes] | None = None
        self._stderr: IO[bytes] | None = None
        self._channel: grpc.Channel | None = None
        self._stub: analyzer_pb2_grpc.AnalyzerStub | None = None
        self._info: PackInfo | None = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        if not (self.pack_dir / "PulumiPolicy.yaml").is_file():
            raise PolicyPackError(f"{self.pack_dir}: not a policy pack (no PulumiPolicy.yaml)")
        self._version, runtime = _manifest(self.pack_dir)
        self._python = self._given_python or pack_python(self.pack_dir, runtime)
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the process
        environment = os.environ | {
            "PULUMI_PROJECT": self._project,
            "PULUMI_STACK": self._stack,
            "PULUMI_DRY_RUN": "true" if self._dry_run else "false",
        }
        try:
            self._process = subprocess.Popen(
                [self._python, "-u", "-m", "pulumi.policy", NO_ENGINE_ADDRESS, "."],
                cwd=self.pack_dir,
                env=environment,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=self._stderr,
            )
        except OSError as error:
            raise PolicyPackError(
                f"{self.pack_dir}: cannot start {self._python}: {error.strerror}"
            ) from None
        port = self._read_port()
        self._channel = grpc.insecure_channel(
            f"127.0.0.1:{port}",
            options=[
                ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
                ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
            ],
        )
        try:
            grpc.channel_ready_future(self._channel).result(timeout=START_TIMEOUT_SECONDS)
        except grpc.FutureTimeoutError:
            self.stop()
            raise PolicyPackError(
                f"{self.pack_dir}: the pack printed port {port} but never answered on it"
            ) from None
        self._stub = analyzer_pb2_grpc.AnalyzerStub(self._channel)

    def stop(self) -> None:
        if self._channel is not None:
            self._channel.close()
            self._channel = None
        if self._process is not None:
            if self._process.poll() is None:
                self._process.terminate()
                try:
                    self._process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self._process.kill()
                    self._process.wait()
            if self._process.stdout is not None:
                self._process.stdout.close()
            self._process = None
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    @property
    def python(self) -> str:
        """The interpreter the pack runs on (known once it has started)."""
        return self._python

    @property
    def dry_run(self) -> bool:
        """Whether the pack analyzes a preview (else a deployed stack's state)."""
        return self._dry_run

    def info(self) -> PackInfo:
        """The pack's name, version (PulumiPolicy.yaml's, as the CLI uses), policies, and the
        versions of the SDKs its environment judges with."""
        if self._info is None:
            reply = self._call("GetAnalyzerInfo", empty_pb2.Empty())
            self._info = PackInfo(
                name=reply.name,
                version=self._version or reply.version,
                policies=tuple(_policy_info(p) for p in reply.policies),
                environment=judging_versions(self._python),
            )
        return self._info

    def configure(self, config: Mapping[str, PolicyConfigEntry]) -> None:
        """Send policy config; an entry without a level keeps the policy's own default level."""
        defaults = {p.name: p.enforcement for p in self.info().policies}
        request = analyzer_pb2.ConfigureAnalyzerRequest()
        for name, entry in config.items():
            level = entry.enforcement or defaults.get(name, Enforcement.ADVISORY)
            policy_config = request.policyConfig[name]
            policy_config.enforcementLevel = _ENFORCEMENT_CODES[level]
            policy_config.properties.update(entry.properties)
        self._call("Configure", request)

    def remediate(
        self, resource: GraphResource, provider: GraphResource | None
    ) -> list[Remediation]:
        reply = self._call("Remediate", self._request(resource, provider))
        return [
            Remediation(
                policy_name=r.policyName,
                pack_name=r.policyPackName,
                pack_version=self._version or r.policyPackVersion,
                description=r.description,
                properties=struct_dict(r.properties) if r.HasField("properties") else None,
                diagnostic=r.diagnostic,
            )
            for r in reply.remediations
        ]

    def analyze(self, resource: GraphResource, provider: GraphResource | None) -> AnalyzeResult:
        """Analyze one resource's inputs, as the engine does before it registers the resource."""
        reply = self._call("Analyze", self._request(resource, provider))
        return self._result(reply, default_urn=resource.urn)

    def analyze_stack(self, graph: ResourceGraph) -> AnalyzeResult:
        """Analyze the whole stack's state, as the engine does once every resource is known:
        every resource (the stack, components and providers too) with its state, and its
        provider with the provider's inputs."""
        request = analyzer_pb2.AnalyzeStackRequest()
        for resource in graph.resources:
            entry = request.resources.add(
                type=resource.type,
                urn=resource.urn,
                name=resource.name,
                parent=resource.parent or "",
                dependencies=list(resource.dependencies),
            )
            entry.properties.update(wire_properties(resource.state))
            entry.options.protect = resource.protect
            entry.options.parent = resource.parent or ""
            provider = graph.provider_of(resource)
            if provider is not None:
                _fill_provider(entry.provider, provider, provider.inputs)
            for key, urns in resource.property_dependencies.items():
                if urns:
                    entry.propertyDependencies[key].urns.extend(urns)
        return self._result(self._call("AnalyzeStack", request), default_urn=None)

    def _request(
        self, resource: GraphResource, provider: GraphResource | None
    ) -> analyzer_pb2.AnalyzeRequest:
        request = analyzer_pb2.AnalyzeRequest(
            type=resource.type, urn=resource.urn, name=resource.name
        )
        request.properties.update(wire_properties(resource.inputs))
        request.options.protect = resource.protect
        request.options.parent = resource.parent or ""
        if provider is not None:
            _fill_provider(request.provider, provider, provider.inputs)
        return request

    def _result(self, reply: Any, default_urn: str | None) -> AnalyzeResult:
        return AnalyzeResult(
            diagnostics=tuple(
                Diagnostic(
                    policy_name=d.policyName,
                    pack_name=d.policyPackName,
                    pack_version=self._version or d.policyPackVersion,
                    description=d.description,
                    message=d.message,
                    urn=d.urn or default_urn,
                    enforcement=_ENFORCEMENT.get(d.enforcementLevel, Enforcement.ADVISORY),
                    severity=_SEVERITY.get(d.severity),
                    unable_to_run=d.message.startswith(UNABLE_TO_RUN_MARKER),
                )
                for d in reply.diagnostics
            ),
            not_applicable=tuple(
                NotApplicable(policy_name=n.policy_name, reason=n.reason)
                for n in reply.not_applicable
            ),
        )

    def _call(self, method: str, request: Any) -> Any:
        if self._stub is None:
            raise PolicyPackError(f"{self.pack_dir}: the policy pack is not running")
        try:
            return getattr(self._stub, method)(request, timeout=CALL_TIMEOUT_SECONDS)
        except grpc.RpcError as error:
            detail = error.details() if hasattr(error, "details") else str(error)
            raise PolicyPackError(
                f"{self.pack_dir}: {method} failed: {detail}{self._stderr_tail()}"
            ) from None

    def _read_port(self) -> int:
        """The port from the pack's first stdout line; later output is drained, not parsed."""
        assert self._process is not None
        assert self._process.stdout is not None
        stdout = self._process.stdout
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        line = b""
        with selectors.DefaultSelector() as selector:
            selector.register(stdout, selectors.EVENT_READ)
            while not line.endswith(b"\n"):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    tail = self._stderr_tail()
                    self.stop()
                    raise PolicyPackError(
                        f"{self.pack_dir}: the pack printed no port within "
                        f"{START_TIMEOUT_SECONDS:.0f} s{tail}"
                    )
                if not selector.select(timeout=min(remaining, 0.5)):
                    continue
                chunk = os.read(stdout.fileno(), 1)
                if not chunk:
                    tail = self._stderr_tail()
                    code = self._process.wait()
                    self.stop()
                    raise PolicyPackError(
                        f"{self.pack_dir}: the pack exited (code {code}) before printing "
                        f"its port{tail}"
                    )
                line += chunk
        threading.Thread(target=_drain, args=(stdout,), daemon=True).start()
        try:
            return int(line.strip())
        except ValueError:
            tail = self._stderr_tail()
            self.stop()
            raise PolicyPackError(
                f"{self.pack_dir}: the pack's first output line is not a port: {line!r}{tail}"
            ) from None

    def _stderr_tail(self) -> str:
        if self._stderr is None:
            return ""
        text = tail_of(self._stderr, STDERR_TAIL_CHARS)
        return f"\n--- pack stderr (tail) ---\n{text}" if text else ""


def wire_properties(properties: Mapping[str, Any]) -> dict[str, Any]:
    """Properties as the engine marshals them: unknowns as the marker, secrets with a `value`."""
    return {key: _wire_value(value) for key, value in properties.items()}


def _wire_value(value: Any) -> Any:
    if is_secret(value):
        return secret(_secret_value(value))
    if isinstance(value, Mapping):
        return {key: _wire_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_wire_value(item) for item in value]
    return value


def _secret_value(secret: Mapping[str, Any]) -> Any:
    """A secret's plaintext: live (`value`), exported (`plaintext`, JSON), else unknown to us."""
    if "value" in secret:
        return _wire_value(secret["value"])
    if "plaintext" in secret:
        try:
            return _wire_value(json.loads(secret["plaintext"]))
        except (TypeError, ValueError):
            return secret["plaintext"]
    return UNKNOWN


def _fill_provider(
    message: analyzer_pb2.AnalyzerProviderResource,
    provider: GraphResource,
    properties: Mapping[str, Any],
) -> None:
    message.type = provider.type
    message.urn = provider.urn
    message.name = provider.name
    message.properties.update(wire_properties(properties))


def _policy_info(policy: analyzer_pb2.PolicyInfo) -> PolicyInfo:
    schema: dict[str, Any] | None = None
    if policy.HasField("configSchema") and policy.configSchema.properties.fields:
        schema = {
            "type": "object",
            "properties": struct_dict(policy.configSchema.properties),
            "required": list(policy.configSchema.required),
        }
    return PolicyInfo(
        name=policy.name,
        description=policy.description,
        enforcement=_ENFORCEMENT.get(policy.enforcementLevel, Enforcement.ADVISORY),
        severity=_SEVERITY.get(policy.severity),
        framework=policy.framework.name,
        framework_version=policy.framework.version,
        reference=policy.framework.reference,
        remediation_steps=policy.remediation_steps,
        config_schema=schema,
        kind="stack" if policy.policy_type == analyzer_pb2.POLICY_TYPE_STACK else "resource",
    )


def _manifest(pack_dir: Path) -> tuple[str, dict[str, Any]]:
    """PulumiPolicy.yaml's version, which the CLI prefers to the one the pack reports (none: ""),
    and its runtime (name and options).

    The file must say `runtime: python`: this client starts a pack the way the CLI starts a Python
    one, and the CLI refuses a manifest it cannot read.
    """
    manifest = pack_dir / "PulumiPolicy.yaml"
    document = read_yaml_mapping(manifest, PolicyPackError)
    runtime = document.get("runtime")
    name = runtime.get("name") if isinstance(runtime, dict) else runtime
    if name != "python":
        raise PolicyPackError(
            f"{manifest}: runtime: must be python (the pack is run as the CLI runs a Python "
            f"pack), got {name!r}"
        )
    version = document.get("version")
    return ("" if version is None else str(version)), (
        runtime if isinstance(runtime, dict) else {"name": name}
    )


def _drain(stream: IO[bytes]) -> None:
    try:
        while stream.read(65536):
            pass
    except (OSError, ValueError):
        return
