"""The pack is driven as the engine drives it, and its answers become findings and events."""

import json
from pathlib import Path

import pytest

from compliance.model.findings import Enforcement, Finding, Outcome
from compliance.model.graph import STACK_TYPE, ResourceGraph
from compliance.preview.offline import OfflineRun, run_program
from compliance.preview.policy_findings import PolicyRun, analyze_graph

FIXTURES = Path(__file__).parents[1] / "fixtures"
PROJECT = FIXTURES / "mini_project"
PROBE_PACK = FIXTURES / "probe_pack"
EXPORT = FIXTURES / "states" / "mini-prod-export.json"


@pytest.fixture(scope="module")
def unprotected() -> OfflineRun:
    return run_program(PROJECT, "unprotected")


@pytest.fixture(scope="module")
def policy(unprotected: OfflineRun) -> PolicyRun:
    return analyze_graph(unprotected.graph, PROBE_PACK, None)


@pytest.fixture(scope="module")
def remediating(tmp_path_factory: pytest.TempPathFactory) -> Path:
    config = tmp_path_factory.mktemp("config") / "remediate.json"
    config.write_text(json.dumps({"bucket-owner-tag": "remediate"}))
    return config


@pytest.fixture(scope="module")
def remediated(unprotected: OfflineRun, remediating: Path) -> PolicyRun:
    return analyze_graph(unprotected.graph, PROBE_PACK, remediating)


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


def test_a_stack_policy_reading_an_output_not_given_is_unable_to_run(policy: PolicyRun) -> None:
    owned = [f for f in policy.findings if f.rule == "buckets-owned"]
    assert [f.outcome for f in owned] == [Outcome.NOT_RUN]
    assert "string value at .tags can't be known during preview" in owned[0].message


def test_a_preview_analyzes_the_stack_as_its_remediations_leave_it(
    unprotected: OfflineRun, remediated: PolicyRun
) -> None:
    buckets = [r.name for r in unprotected.graph if r.type == "aws:s3/bucket:Bucket"]
    tagged = findings(remediated, "bucket-owner-tag", Outcome.PASS)
    assert sorted(f.resource.name for f in tagged if f.resource) == sorted(buckets)
    remediations = [
        e["policyRemediationEvent"] for e in remediated.events if "policyRemediationEvent" in e
    ]
    assert [e["after"]["tags"] for e in remediations] == [{"Owner": "platform"}] * len(buckets)
    owned = [f for f in remediated.findings if f.rule == "buckets-owned"]
    assert [f.outcome for f in owned] == [Outcome.PASS]


def test_the_run_reports_each_policy_at_the_level_its_config_gives_it(
    policy: PolicyRun, remediated: PolicyRun
) -> None:
    declared = policy.pack.policy("bucket-owner-tag")
    configured = remediated.pack.policy("bucket-owner-tag")

    assert declared is not None
    assert declared.enforcement is Enforcement.ADVISORY
    assert configured is not None
    assert configured.enforcement is Enforcement.REMEDIATE


def test_a_deployed_stacks_remediations_are_reported_not_applied(remediating: Path) -> None:
    graph = ResourceGraph.load(EXPORT)
    run = analyze_graph(graph, PROBE_PACK, remediating, dry_run=False)
    (remediation,) = [
        e["policyRemediationEvent"] for e in run.events if "policyRemediationEvent" in e
    ]
    assert remediation["resourceUrn"].endswith("::logs")
    (untagged,) = findings(run, "bucket-owner-tag", Outcome.FAIL)
    assert untagged.resource is not None
    assert untagged.resource.name == "logs"
    assert untagged.blocks
    (unowned,) = findings(run, "buckets-owned", Outcome.FAIL)
    assert unowned.message.endswith("bucket logs has no owner")
