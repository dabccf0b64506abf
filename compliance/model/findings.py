"""One findings model for every engine (CrossGuard policy pack, checkov, live checks).

A finding is one rule's verdict on one resource (or on the stack as a whole): which rule, from
which engine, under which controls, what was seen and how to fix it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from compliance.model.graph import UNKNOWN, GraphResource, is_secret

REDACTED = "[redacted]"
UNKNOWN_DISPLAY = "[unknown during preview]"


class Source(StrEnum):
    CROSSGUARD = "crossguard"
    CHECKOV = "checkov"
    LIVE = "live"


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class Enforcement(StrEnum):
    MANDATORY = "mandatory"
    ADVISORY = "advisory"
    REMEDIATE = "remediate"
    DISABLED = "disabled"


class Outcome(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    ACCEPTED_RISK = "accepted-risk"
    NOT_APPLICABLE = "not-applicable"
    NOT_RUN = "not-run"
    """The rule could not run, e.g. it read a value that is unknown during preview."""


@dataclass(frozen=True, order=True)
class ResourceRef:
    urn: str
    type: str
    name: str


def resource_ref(resource: GraphResource) -> ResourceRef:
    return ResourceRef(urn=resource.urn, type=resource.type, name=resource.name)


@dataclass(frozen=True)
class AcceptedRisk:
    justification: str
    owner: str
    scope: str
    """`stack` for the whole stack, otherwise the resource it covers."""


@dataclass(frozen=True)
class Finding:
    source: Source
    rule: str
    controls: tuple[str, ...]
    severity: Severity
    enforcement: Enforcement
    outcome: Outcome
    message: str
    resource: ResourceRef | None = None
    """None for a finding about the stack as a whole."""
    property_path: str | None = None
    observed: Any = None
    remediation: str = ""
    accepted_risk: AcceptedRisk | None = None
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def blocks(self) -> bool:
        """A failed mandatory rule stops a deployment."""
        return self.outcome is Outcome.FAIL and self.enforcement is Enforcement.MANDATORY

    def sort_key(self) -> tuple[str, str, str, str]:
        return (
            self.source.value,
            self.rule,
            self.resource.urn if self.resource else "",
            self.property_path or "",
        )


SECRET_LIKE_KEYS = ("password", "secret", "token", "private", "passphrase", "credential", "apikey")


def redact(value: Any, key: str = "") -> Any:
    """A copy of `value` safe to print: Pulumi secrets and secret-looking keys are redacted."""
    if is_secret(value):
        return REDACTED
    if value == UNKNOWN:
        return UNKNOWN_DISPLAY
    if key and any(marker in key.lower().replace("_", "") for marker in SECRET_LIKE_KEYS):
        return REDACTED if value not in (None, "", [], {}) else value
    if isinstance(value, Mapping):
        return {k: redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    return value
