"""A small stack and findings from every engine, shaped as the real pipeline produces them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from compliance.audit.disagreements import Disagreement
from compliance.audit.model import AuditInputs, AuditReport, build_report
from compliance.audit.provenance import PackId, collect_provenance
from compliance.model.controls import by_id, control_id
from compliance.model.findings import (
    AcceptedRisk,
    Enforcement,
    Finding,
    Outcome,
    ResourceRef,
    Severity,
    Source,
)
from compliance.model.graph import (
    SECRET_SIGNATURE,
    SECRET_SIGNATURE_KEY,
    GraphResource,
    ResourceGraph,
)
from compliance.model.pack import PackInfo, PolicyInfo
from compliance.model.secrets import secret_values

SECRET_PLAINTEXT = "pulumi-secret-Zq7vX2"
SECRET_LOOKING = "p4ssw0rd-Looks-Secret"
NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)

STACK = "urn:pulumi:prod::payments::pulumi:pulumi:Stack::payments-prod"
BUCKET = "urn:pulumi:prod::payments::payments:storage:Bucket$aws:s3/bucket:Bucket::receipts"
TABLE = "urn:pulumi:prod::payments::payments:database:Table$aws:dynamodb/table:Table::transactions"
KEY = "urn:pulumi:prod::payments::aws:kms/key:Key::payments"
ENCRYPTION = control_id("pci-dss", "4.0.1", "3.5.1")
ROTATION = control_id("pci-dss", "4.0.1", "3.7.4")
PROTECTION = control_id("payments-baseline", "1.0", "protection")
TRACING = control_id("payments-baseline", "1.0", "tracing")
LOGGING = control_id("pci-dss", "4.0.1", "10.2.1")

STORAGE_MODULE = '''"""Storage."""
import pulumi
import pulumi_aws as aws


class Bucket(pulumi.ComponentResource):
    def __init__(self, name: str) -> None:
        super().__init__("payments:storage:Bucket", name, None)
        self.bucket = aws.s3.Bucket(
            name,
        )
'''
DATABASE_MODULE = '''"""Database."""
import pulumi
import pulumi_aws as aws


class Table(pulumi.ComponentResource):
    def __init__(self, name: str) -> None:
        super().__init__("payments:database:Table", name, None)
        self.table = aws.dynamodb.Table(name)
'''


def policy(
    name: str,
    control_id: str,
    enforcement: Enforcement,
    severity: Severity,
    *,
    description: str,
    remediation: str,
) -> PolicyInfo:
    control = by_id(control_id)
    assert control is not None, control_id
    return PolicyInfo(
        name=name,
        description=description,
        enforcement=enforcement,
        severity=severity,
        framework=control.framework,
        framework_version=control.version,
        reference=control.reference,
        remediation_steps=remediation,
        config_schema=None,
        kind="resource",
    )


PACK = PackInfo(
    "payments-policies",
    "1.2.0",
    (
        policy(
            "s3-bucket-cmk-encryption",
            ENCRYPTION,
            Enforcement.MANDATORY,
            Severity.HIGH,
            description="S3 buckets are encrypted with the payments CMK.",
            remediation="Set the bucket's server-side encryption to aws:kms with the payments key.",
        ),
        policy(
            "kms-key-rotation",
            ROTATION,
            Enforcement.MANDATORY,
            Severity.HIGH,
            description="Customer managed keys rotate yearly.",
            remediation="Set enableKeyRotation to true.",
        ),
        policy(
            "stateful-resources-protected",
            PROTECTION,
            Enforcement.ADVISORY,
            Severity.MEDIUM,
            description="Stateful resources are protected from deletion.",
            remediation="Pass protect=True in the resource options.",
        ),
        policy(
            "lambda-xray-tracing",
            TRACING,
            Enforcement.ADVISORY,
            Severity.LOW,
            description="Functions are traced with X-Ray.",
            remediation="Set tracingConfig.mode to Active.",
        ),
    ),
    environment=(("pulumi", "3.272.0"), ("pulumi-aws", "7.51.1"), ("pulumi-policy", "1.21.0")),
)


def ref(urn: str) -> ResourceRef:
    parts = urn.split("::")
    return ResourceRef(urn=urn, type=parts[2].split("$")[-1], name=parts[-1])


def secret(value: str) -> dict[str, str]:
    return {SECRET_SIGNATURE_KEY: SECRET_SIGNATURE, "plaintext": json.dumps(value)}


def make_graph() -> ResourceGraph:
    return ResourceGraph(
        project="payments",
        stack="prod",
        resources=(
            GraphResource(urn=STACK, type="pulumi:pulumi:Stack", custom=False),
            GraphResource(
                urn=BUCKET,
                type="aws:s3/bucket:Bucket",
                custom=True,
                inputs={"bucket": "receipts-prod", "tags": {"Environment": "production"}},
            ),
            GraphResource(
                urn=TABLE,
                type="aws:dynamodb/table:Table",
                custom=True,
                inputs={"name": "transactions", "masterPassword": SECRET_LOOKING},
                outputs={"streamLabel": secret(SECRET_PLAINTEXT)},
                protect=True,
            ),
            GraphResource(urn=KEY, type="aws:kms/key:Key", custom=True, inputs={}),
        ),
    )


def crossguard(policy: str, urn: str | None, outcome: Outcome, **extra: Any) -> Finding:
    spec = next(p for p in PACK.policies if p.name == policy)
    return Finding(
        source=Source.CROSSGUARD,
        rule=policy,
        controls=(spec.control_id,),
        severity=spec.severity or Severity.MEDIUM,
        enforcement=spec.enforcement,
        outcome=outcome,
        message=str(extra.pop("message", "")),
        resource=ref(urn) if urn else None,
        remediation=spec.remediation_steps,
        **extra,
    )


def make_findings() -> list[Finding]:
    return [
        crossguard(
            "s3-bucket-cmk-encryption",
            BUCKET,
            Outcome.FAIL,
            message="Bucket 'receipts' is not encrypted with a CMK (sse algorithm AES256).",
            property_path="serverSideEncryptionConfiguration.rule.sseAlgorithm",
            observed="AES256",
        ),
        crossguard("s3-bucket-cmk-encryption", TABLE, Outcome.NOT_APPLICABLE),
        crossguard("s3-bucket-cmk-encryption", KEY, Outcome.NOT_APPLICABLE),
        crossguard("kms-key-rotation", KEY, Outcome.PASS),
        crossguard("kms-key-rotation", BUCKET, Outcome.NOT_APPLICABLE),
        crossguard("stateful-resources-protected", TABLE, Outcome.PASS),
        crossguard(
            "stateful-resources-protected",
            BUCKET,
            Outcome.NOT_RUN,
            message="can't run policy 'stateful-resources-protected' during preview: "
            "string value at .bucket can't be known during preview",
        ),
        crossguard(
            "lambda-xray-tracing",
            None,
            Outcome.NOT_APPLICABLE,
            message="no functions in the stack",
        ),
        # An engine copied secrets into a message and an observed value: the report must not.
        crossguard(
            "stateful-resources-protected",
            KEY,
            Outcome.PASS,
            message=f"key protected; stream {SECRET_PLAINTEXT}, password {SECRET_LOOKING}",
            property_path="masterPassword",
            observed=SECRET_LOOKING,
        ),
        Finding(
            source=Source.CHECKOV,
            rule="CKV_AWS_119",
            controls=(ENCRYPTION,),
            severity=Severity.MEDIUM,
            enforcement=Enforcement.ADVISORY,
            outcome=Outcome.ACCEPTED_RISK,
            message="Ensure DynamoDB Tables are encrypted using a KMS Customer Managed CMK",
            resource=ref(TABLE),
            property_path="serverSideEncryption",
            observed={"enabled": True, "kmsKeyArn": secret(SECRET_PLAINTEXT)},
            remediation="Set serverSideEncryption.kmsKeyArn to the payments key.",
            accepted_risk=AcceptedRisk(
                justification="Table encrypted with the AWS owned key until the KMS migration.",
                owner="payments-platform",
                scope=TABLE,
            ),
            extra={
                "check_name": "Ensure DynamoDB Tables are encrypted using a KMS Customer "
                "Managed CMK"
            },
        ),
        Finding(
            source=Source.CHECKOV,
            rule="CKV_AWS_145",
            controls=(ENCRYPTION,),
            severity=Severity.HIGH,
            enforcement=Enforcement.ADVISORY,
            outcome=Outcome.FAIL,
            message="Ensure that S3 buckets are encrypted with KMS by default",
            resource=ref(BUCKET),
            remediation="Use aws:kms server-side encryption.",
        ),
    ]


def make_inputs(project_dir: Path, findings: list[Finding] | None = None) -> AuditInputs:
    return AuditInputs(
        graph=make_graph(),
        findings=make_findings() if findings is None else findings,
        pack=PACK,
        disagreements=(
            Disagreement(
                control=PROTECTION,
                resource=ref(TABLE),
                verdicts={Source.CROSSGUARD: Outcome.PASS, Source.CHECKOV: Outcome.FAIL},
                detail="transactions under payments-baseline@1.0:protection: checkov fails it "
                "(CKV_AWS_28), while crossguard passes it (stateful-resources-protected).",
            ),
        ),
        project_dir=project_dir,
    )


def make_report(
    project_dir: Path, findings: list[Finding] | None = None, now: datetime = NOW
) -> AuditReport:
    inputs = make_inputs(project_dir, findings)
    provenance = collect_provenance(
        graph=inputs.graph,
        mode="offline",
        project_dir=project_dir,
        stack_config=project_dir / "Pulumi.prod.yaml",
        state_file=None,
        policy_config=project_dir / "policy.json",
        policy_pack=PackId(PACK.name, PACK.version, PACK.environment),
        checkov_version="3.3.30",
        now=now,
    )
    return build_report(inputs, provenance)


def secrets_of(project_dir: Path) -> frozenset[str]:
    inputs = make_inputs(project_dir)
    return secret_values(inputs.graph, inputs.findings)


def write_project(root: Path) -> Path:
    """A project directory: Pulumi files, two component modules, a policy config."""
    (root / "Pulumi.yaml").write_text("name: payments\nruntime: python\n")
    (root / "Pulumi.prod.yaml").write_text("config:\n  aws:region: eu-west-1\n")
    (root / "infra").mkdir()
    (root / "infra" / "storage.py").write_text(STORAGE_MODULE)
    (root / "infra" / "database.py").write_text(DATABASE_MODULE)
    (root / "policy.json").write_text('{"all": "mandatory"}\n')
    return root
