"""Engine events, in the JSON form the Pulumi CLI writes with `--event-log` (`apitype.EngineEvent`).

Policy results are `policyEvent`s (one per violation) and per-resource / per-stack analyze
summaries; a preview ends with a `summaryEvent`. Written as JSON lines under the build folder, so
the offline preview's policy results read like a real preview's event log.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from compliance.model.files import write_atomically

RAW_COLOR = "raw"


def policy_event(
    resource_urn: str,
    *,
    message: str,
    policy_name: str,
    pack_name: str,
    pack_version: str,
    enforcement: str,
    severity: str | None,
) -> dict[str, Any]:
    event: dict[str, Any] = {
        "resourceUrn": resource_urn,
        "message": message,
        "color": RAW_COLOR,
        "policyName": policy_name,
        "policyPackName": pack_name,
        "policyPackVersion": pack_version,
        "policyPackVersionTag": pack_version,
        "enforcementLevel": enforcement,
    }
    if severity:
        event["severity"] = severity
    return {"policyEvent": event}


def policy_remediation_event(
    resource_urn: str,
    *,
    policy_name: str,
    pack_name: str,
    pack_version: str,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
) -> dict[str, Any]:
    return {
        "policyRemediationEvent": {
            "resourceUrn": resource_urn,
            "color": RAW_COLOR,
            "policyName": policy_name,
            "policyPackName": pack_name,
            "policyPackVersion": pack_version,
            "policyPackVersionTag": pack_version,
            "before": dict(before),
            "after": dict(after),
        }
    }


def analyze_summary_event(
    resource_urn: str, *, pack_name: str, pack_version: str, passed: list[str], failed: list[str]
) -> dict[str, Any]:
    summary = _summary(pack_name, pack_version, passed, failed)
    return {"policyAnalyzeSummaryEvent": {"resourceUrn": resource_urn, **summary}}


def analyze_stack_summary_event(
    *, pack_name: str, pack_version: str, passed: list[str], failed: list[str]
) -> dict[str, Any]:
    return {"policyAnalyzeStackSummaryEvent": _summary(pack_name, pack_version, passed, failed)}


def summary_event(
    resource_changes: Mapping[str, int], policy_packs: Mapping[str, str], *, is_preview: bool
) -> dict[str, Any]:
    return {
        "summaryEvent": {
            "maybeCorrupt": False,
            "durationSeconds": 0,
            "resourceChanges": dict(resource_changes),
            "PolicyPacks": {name: f"v{version}" for name, version in policy_packs.items()},
            "isPreview": is_preview,
        }
    }


def write_event_log(path: Path, events: Iterable[Mapping[str, Any]]) -> None:
    """Number and timestamp the events as the engine does, one JSON object a line."""
    timestamp = int(time.time())
    lines = (
        json.dumps({"sequence": sequence, "timestamp": timestamp, **event}, sort_keys=True)
        for sequence, event in enumerate(events)
    )
    write_atomically(path, "".join(line + "\n" for line in lines))


def _summary(
    pack_name: str, pack_version: str, passed: list[str], failed: list[str]
) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "policyPackName": pack_name,
        "policyPackVersion": pack_version,
        "policyPackVersionTag": pack_version,
    }
    if passed:
        summary["passed"] = sorted(passed)
    if failed:
        summary["failed"] = sorted(failed)
    return summary
