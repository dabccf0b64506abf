"""Policy results are written as the engine's event log: numbered JSON lines."""

import json
from pathlib import Path

from compliance.preview.events import (
    analyze_summary_event,
    policy_event,
    summary_event,
    write_event_log,
)


def test_event_log_is_numbered_json_lines_in_order(tmp_path: Path) -> None:
    log = tmp_path / "events" / "policy-events.jsonl"
    write_event_log(
        log,
        [
            policy_event(
                "urn:pulumi:prod::p::aws:s3/bucket:Bucket::b",
                message="Buckets are encrypted.\nno encryption configured",
                policy_name="s3-encrypted",
                pack_name="guard",
                pack_version="1.0.0",
                enforcement="mandatory",
                severity="high",
            ),
            summary_event({"create": 3}, {"guard": "1.0.0"}, is_preview=True),
        ],
    )
    first, second = (json.loads(line) for line in log.read_text().splitlines())
    assert (first["sequence"], second["sequence"]) == (0, 1)
    assert first["timestamp"] == second["timestamp"] > 0
    assert first["policyEvent"] == {
        "resourceUrn": "urn:pulumi:prod::p::aws:s3/bucket:Bucket::b",
        "message": "Buckets are encrypted.\nno encryption configured",
        "color": "raw",
        "policyName": "s3-encrypted",
        "policyPackName": "guard",
        "policyPackVersion": "1.0.0",
        "policyPackVersionTag": "1.0.0",
        "enforcementLevel": "mandatory",
        "severity": "high",
    }
    assert second["summaryEvent"]["PolicyPacks"] == {"guard": "v1.0.0"}
    assert second["summaryEvent"]["resourceChanges"] == {"create": 3}


def test_policy_event_without_severity_leaves_it_out() -> None:
    event = policy_event(
        "",
        message="m",
        policy_name="p",
        pack_name="guard",
        pack_version="1.0.0",
        enforcement="advisory",
        severity=None,
    )
    assert "severity" not in event["policyEvent"]


def test_analyze_summary_lists_passed_and_failed_sorted_and_omits_empty() -> None:
    event = analyze_summary_event(
        "urn", pack_name="guard", pack_version="1.0.0", passed=["b", "a"], failed=[]
    )["policyAnalyzeSummaryEvent"]
    assert event["passed"] == ["a", "b"]
    assert "failed" not in event
