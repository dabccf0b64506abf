"""What a policy pack says of itself (`GetAnalyzerInfo`): its name, version and policies, each
with the metadata the findings and the report are filed under."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from compliance.model.controls import control_id
from compliance.model.findings import Enforcement, Severity

DEFAULT_SEVERITY = Severity.MEDIUM
"""For a policy that declares no severity (Pulumi leaves it blank)."""


@dataclass(frozen=True)
class PolicyInfo:
    name: str
    description: str
    enforcement: Enforcement
    severity: Severity | None
    framework: str
    framework_version: str
    reference: str
    remediation_steps: str
    config_schema: dict[str, Any] | None
    """A JSON schema object (`type`, `properties`, `required`) for the policy's config."""
    kind: Literal["resource", "stack"]

    @property
    def control_id(self) -> str:
        return control_id(self.framework, self.framework_version, self.reference)


@dataclass(frozen=True)
class PackInfo:
    name: str
    version: str
    policies: tuple[PolicyInfo, ...]
    environment: tuple[tuple[str, str], ...] = ()
    """The versions of the SDKs the pack's environment judges with (pulumi, pulumi-aws,
    pulumi-policy), by name."""

    def environment_text(self) -> str:
        return ", ".join(f"{name} {version}" for name, version in self.environment)

    def policy(self, name: str) -> PolicyInfo | None:
        return next((p for p in self.policies if p.name == name), None)
