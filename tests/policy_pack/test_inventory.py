"""resource-kinds-judged through `Analyze`: a resource no policy judges is a violation, never a
pass; a reviewed kind is "not applicable" with its reason."""

from __future__ import annotations

import pytest

from compliance.model.findings import Enforcement
from compliance.model.graph import GraphResource
from compliance.preview.analyzer import PolicyPackProcess
from tests.policy_pack.pack_harness import (
    compliant_stack,
    configure,
    provider,
    resource,
    resource_verdict,
)

pytestmark = pytest.mark.usefixtures("default_config")

POLICY = "resource-kinds-judged"


def reasons(pack: PolicyPackProcess, subject: GraphResource) -> list[str]:
    result = pack.analyze(subject, provider())
    return [n.reason for n in result.not_applicable if n.policy_name == POLICY]


@pytest.mark.parametrize(
    "type_",
    [
        "aws:wafregional/webAcl:WebAcl",
        "aws:waf/webAcl:WebAcl",
        "aws:s3/accessPoint:AccessPoint",
        "aws:ec2/instance:Instance",
        "aws-native:s3:Bucket",
    ],
)
def test_a_kind_no_policy_judges_is_a_mandatory_violation_naming_it(
    pack: PolicyPackProcess, type_: str
) -> None:
    subject = resource(type_, "unjudged", {})

    verdict, messages = resource_verdict(pack, POLICY, subject)

    assert verdict == "fail"
    [message] = messages
    assert message.endswith(
        f"no policy of this pack judges {type_}: nothing but its tags and region was checked, so "
        "it has not been judged compliant; give it a policy, or list its type in reviewedKinds "
        "with the reason it needs none"
    )
    [diagnostic] = [
        d for d in pack.analyze(subject, provider()).diagnostics if d.policy_name == POLICY
    ]
    assert diagnostic.enforcement is Enforcement.MANDATORY


@pytest.mark.parametrize(
    "type_",
    [
        "aws:s3/bucket:Bucket",
        "aws:s3/bucketV2:BucketV2",
        "aws:iam/role:Role",
        # Judged by the stack policies that read them through the bucket or the vault.
        "aws:s3/bucketVersioning:BucketVersioning",
        "aws:s3/bucketVersioningV2:BucketVersioningV2",
        "aws:backup/vaultLockConfiguration:VaultLockConfiguration",
        "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration",
    ],
)
def test_a_kind_a_policy_judges_passes(pack: PolicyPackProcess, type_: str) -> None:
    assert resource_verdict(pack, POLICY, resource(type_, "judged", {})) == ("pass", [])


def test_a_reviewed_kind_is_not_applicable_with_its_reason(pack: PolicyPackProcess) -> None:
    alias = resource("aws:kms/alias:Alias", "payments-alias", {}, tagged=False)

    assert reasons(pack, alias) == [
        "aws:kms/alias:Alias is reviewed as needing no policy: a name for a key; the key it "
        "names is judged"
    ]


def test_a_kind_reviewed_in_config_is_not_applicable_and_the_defaults_are_replaced(
    pack: PolicyPackProcess,
) -> None:
    configure(pack, {POLICY: {"reviewedKinds": {"aws:ec2/instance:Instance": "bastion, audited"}}})

    instance = resource("aws:ec2/instance:Instance", "bastion", {})
    alias = resource("aws:kms/alias:Alias", "payments-alias", {}, tagged=False)

    assert reasons(pack, instance) == [
        "aws:ec2/instance:Instance is reviewed as needing no policy: bastion, audited"
    ]
    assert resource_verdict(pack, POLICY, alias)[0] == "fail"


@pytest.mark.parametrize(
    "type_", ["random:index/randomPassword:RandomPassword", "payments:audit:Trail"]
)
def test_other_packages_and_components_are_not_inspected(
    pack: PolicyPackProcess, type_: str
) -> None:
    assert resource_verdict(pack, POLICY, resource(type_, "other", {}))[0] == "not-applicable"


def test_every_resource_of_the_compliant_stack_is_judged_or_reviewed(
    pack: PolicyPackProcess,
) -> None:
    verdicts = {
        subject.type: resource_verdict(pack, POLICY, subject)[0]
        for subject in compliant_stack().values()
    }

    assert set(verdicts.values()) <= {"pass", "not-applicable"}
    assert verdicts["aws:s3/bucket:Bucket"] == "pass"
