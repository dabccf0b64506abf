from __future__ import annotations

from compliance.audit.disagreements import find_disagreements
from compliance.model.findings import (
    AcceptedRisk,
    Enforcement,
    Finding,
    Outcome,
    ResourceRef,
    Severity,
    Source,
)

BUCKET = ResourceRef(
    "urn:pulumi:prod::payments::aws:s3/bucket:Bucket::receipts", "aws:s3/bucket:Bucket", "receipts"
)
TABLE = ResourceRef(
    "urn:pulumi:prod::payments::aws:dynamodb/table:Table::orders",
    "aws:dynamodb/table:Table",
    "orders",
)
ENCRYPTION = "pci-dss@4.0.1:3.5.1"
RECOVERY = "pci-dss@4.0.1:12.10.1"


def finding(
    source: Source,
    rule: str,
    outcome: Outcome,
    resource: ResourceRef | None = BUCKET,
    control: str = ENCRYPTION,
) -> Finding:
    return Finding(
        source=source,
        rule=rule,
        controls=(control,),
        severity=Severity.HIGH,
        enforcement=Enforcement.MANDATORY,
        outcome=outcome,
        message=f"{rule} {outcome}",
        resource=resource,
        accepted_risk=AcceptedRisk("reviewed", "team", "stack")
        if outcome is Outcome.ACCEPTED_RISK
        else None,
    )


def test_one_engine_failing_what_the_other_passes_is_a_disagreement() -> None:
    (disagreement,) = find_disagreements(
        [
            finding(Source.CROSSGUARD, "s3-bucket-encrypted", Outcome.PASS),
            finding(Source.CHECKOV, "CKV_AWS_145", Outcome.FAIL),
            finding(Source.CHECKOV, "CKV_AWS_19", Outcome.PASS),
        ]
    )
    assert disagreement.control == ENCRYPTION
    assert disagreement.resource == BUCKET
    assert disagreement.verdicts == {Source.CROSSGUARD: Outcome.PASS, Source.CHECKOV: Outcome.FAIL}
    assert disagreement.detail == (
        f"receipts under {ENCRYPTION}: checkov fails it (CKV_AWS_145), "
        "while crossguard passes it (s3-bucket-encrypted)."
    )


def test_engines_agreeing_or_judging_different_resources_do_not_disagree() -> None:
    assert (
        find_disagreements(
            [
                finding(Source.CROSSGUARD, "s3-bucket-encrypted", Outcome.FAIL),
                finding(Source.CHECKOV, "CKV_AWS_145", Outcome.FAIL),
                finding(Source.CROSSGUARD, "dynamodb-pitr-enabled", Outcome.PASS, TABLE, RECOVERY),
                finding(Source.CHECKOV, "CKV_AWS_21", Outcome.FAIL, BUCKET, RECOVERY),
            ]
        )
        == ()
    )


def test_accepted_risks_not_run_and_stack_findings_are_not_verdicts() -> None:
    assert (
        find_disagreements(
            [
                finding(Source.CROSSGUARD, "s3-bucket-encrypted", Outcome.PASS),
                finding(Source.CHECKOV, "CKV_AWS_145", Outcome.ACCEPTED_RISK),
                finding(Source.CROSSGUARD, "s3-encryption-kms-cmk", Outcome.NOT_RUN),
                finding(Source.CROSSGUARD, "stack-policy", Outcome.PASS, None),
                finding(Source.CHECKOV, "CKV_AWS_19", Outcome.FAIL, None),
            ]
        )
        == ()
    )
