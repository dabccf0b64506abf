"""The pack is driven as the engine drives it, and its answers become findings and events."""

from pathlib import Path

import pytest

from compliance.findings import Enforcement, Finding, Outcome
from compliance.graph import STACK_TYPE
from compliance.offline import OfflineRun, run_program
from compliance.policy_findings import PolicyRun, analyze_graph

FIXTURES = Path(__file__).parent / "fixtures"
PROJECT = FIXTURES / "mini_project"
PROBE_PACK = FIXTURES / "probe_pack"


@pytest.fixture(scope="module")
def unprotected() -> OfflineRun:
    return run_program(PROJECT, "unprotected")


@pytest.fixture(scope="module")
def policy(unprotected: OfflineRun) -> PolicyRun:
    return analyze_graph(unprotected.graph, PROBE_PACK, None)


def findings(run: PolicyRun, rule: str, outcome: Outcome) -> list[Finding]:
    return [f for f in run.findings if f.rule == rule and f.outcome is outcome]


def test_policy_reading_an_arn_unknown_in_preview_is_unable_to_run(policy: PolicyRun) -> None:
    (not_run,) = findings(policy, "sse-key-arn", Outcome.NOT_RUN)
    assert not_run.resource is not None
    assert not_run.resource.name == "docs-0-sse"
    assert "can't run policy 'sse-key-arn'" in not_run.message
    assert "during preview" in not_run.message
    assert not not_run.blocks


def test_stack_policy_reading_an_output_of_a_linked_resource_is_unable_to_run(
    policy: PolicyRun,
) -> None:
    verdicts = [f for f in policy.findings if f.rule == "sse-bucket-arn"]
    assert [f.outcome for f in verdicts] == [Outcome.NOT_RUN]
    (not_run,) = verdicts
    assert not_run.message == (
        "can't run policy 'sse-bucket-arn' from policy pack 'probe@v0.0.1' during preview: "
        "string value at .arn can't be known during preview"
    )
    assert not not_run.blocks
    summary = policy.events[-1]["policyAnalyzeStackSummaryEvent"]
    assert "sse-bucket-arn" not in summary.get("passed", []) + summary.get("failed", [])


def test_resource_policy_that_holds_is_a_pass_and_other_types_not_applicable(
    unprotected: OfflineRun, policy: PolicyRun
) -> None:
    (passed,) = findings(policy, "kms-key-rotation", Outcome.PASS)
    assert passed.resource is not None
    assert passed.resource.type == "aws:kms/key:Key"
    skipped = findings(policy, "kms-key-rotation", Outcome.NOT_APPLICABLE)
    assert {f.message for f in skipped} == {"not a KMS key"}
    assert len(skipped) == len(unprotected.graph) - 1


def test_provider_inputs_reach_resource_policies(policy: PolicyRun) -> None:
    (passed,) = findings(policy, "allowed-region", Outcome.PASS)
    assert passed.resource is not None
    assert passed.resource.name == "data"


def test_stack_policy_violation_is_a_blocking_finding_on_its_resource(policy: PolicyRun) -> None:
    (failed,) = findings(policy, "buckets-protected", Outcome.FAIL)
    assert failed.resource is not None
    assert failed.resource.name == "replica"
    assert failed.resource.type == "aws:s3/bucket:Bucket"
    assert failed.enforcement is Enforcement.MANDATORY
    assert "bucket replica is not protected" in failed.message
    assert policy.blocking == (failed,)


def test_every_registration_is_analyzed_in_order(
    unprotected: OfflineRun, policy: PolicyRun
) -> None:
    summaries = [
        e["policyAnalyzeSummaryEvent"] for e in policy.events if "policyAnalyzeSummaryEvent" in e
    ]
    assert [s["resourceUrn"] for s in summaries] == [r.urn for r in unprotected.graph]
    assert unprotected.graph.resources[0].type == STACK_TYPE
    assert "policyAnalyzeStackSummaryEvent" in policy.events[-1]


def test_violation_is_a_policy_event_against_the_resource(
    unprotected: OfflineRun, policy: PolicyRun
) -> None:
    events = [e["policyEvent"] for e in policy.events if "policyEvent" in e]
    violation = next(e for e in events if e["policyName"] == "buckets-protected")
    replica = next(
        r for r in unprotected.graph if r.type == "aws:s3/bucket:Bucket" and r.name == "replica"
    )
    assert violation["resourceUrn"] == replica.urn
    assert violation["enforcementLevel"] == "mandatory"
    assert violation["policyPackName"] == "probe"
    assert violation["policyPackVersion"] == "0.1.0"
    unable = next(e for e in events if e["policyName"] == "sse-key-arn")
    assert unable["enforcementLevel"] == "advisory"
