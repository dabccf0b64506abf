"""checkov check ids -> the controls the policy pack files its policies under.

Grouped by control so a reviewer reads which checks evidence which requirement. A check not listed
here still counts: it is filed under `UNMAPPED` (a control of its own, reported once something is
filed there) and a failure blocks like any other, so a new checkov release cannot add checks that
slip past unseen. Every check that runs on the payment stack today is listed.
"""

from __future__ import annotations

from compliance.model import controls
from compliance.model.controls import (
    PAYMENTS,
    PAYMENTS_VERSION,
    PCI_DSS,
    PCI_DSS_VERSION,
    control_id,
)
from compliance.model.findings import Severity


def _pci(reference: str) -> str:
    return control_id(PCI_DSS, PCI_DSS_VERSION, reference)


def _own(reference: str) -> str:
    return control_id(PAYMENTS, PAYMENTS_VERSION, reference)


UNMAPPED = controls.UNMAPPED.id

CHECKS_BY_CONTROL: dict[str, tuple[str, ...]] = {
    _pci("1.4.4"): (
        "CKV2_AWS_6",  # S3 bucket has a public access block
        "CKV_AWS_53",  # public access block: block public ACLs
        "CKV_AWS_54",  # public access block: block public policy
        "CKV_AWS_55",  # public access block: ignore public ACLs
        "CKV_AWS_56",  # public access block: restrict public buckets
        "CKV_AWS_20",  # S3 bucket has no public-read ACL
        "CKV_AWS_57",  # S3 bucket has no public-write ACL
        "CKV_AWS_70",  # S3 bucket policy does not allow every principal
        "CKV_AWS_117",  # Lambda runs inside a VPC
        "CKV_AWS_301",  # Lambda function is not publicly invokable
        "CKV2_AWS_75",  # Lambda function URL has no open CORS policy
    ),
    _pci("3.2.1"): (
        "CKV2_AWS_61",  # S3 bucket has a lifecycle configuration
        "CKV_AWS_300",  # S3 lifecycle aborts (and so deletes) failed multipart uploads
    ),
    _pci("3.3.1"): ("CKV_AWS_276",),  # API Gateway data trace (full request logging) off
    _pci("3.5.1"): (
        "CKV_AWS_19",  # S3 data encrypted at rest
        "CKV_AWS_145",  # S3 encrypted with KMS by default
        "CKV_AWS_186",  # S3 object encrypted with a CMK
        "CKV_AWS_119",  # DynamoDB table encrypted with a CMK
        "CKV_AWS_173",  # Lambda environment variables encrypted
        "CKV_AWS_166",  # Backup vault encrypted with a CMK
        "CKV_AWS_26",  # SNS topic encrypted
        "CKV_AWS_308",  # API Gateway cache encrypted
    ),
    _pci("3.6.1"): (
        "CKV2_AWS_64",  # KMS key policy is defined
        "CKV_AWS_33",  # KMS key policy has no wildcard principal
        "CKV_AWS_227",  # KMS key is enabled
    ),
    _pci("3.7.4"): ("CKV_AWS_7",),  # KMS key rotation enabled
    _pci("4.2.1"): (
        "CKV_AWS_379",  # S3 bucket policy denies requests without TLS (aws:SecureTransport)
        "CKV2_AWS_51",  # API Gateway stage presents a client certificate over TLS to its backend
    ),
    _pci("6.3.3"): ("CKV_AWS_363",),  # Lambda runtime is not deprecated
    _pci("6.4.2"): (
        "CKV2_AWS_29",  # public API Gateway protected by WAF
        "CKV_AWS_192",  # WAF protects against Log4j (known bad inputs)
        "CKV2_AWS_76",  # WAF web ACL on API Gateway protects against Log4j
        "CKV2_AWS_77",  # WAF web ACL on an API Gateway stage has the Log4j managed rules
        "CKV_AWS_175",  # WAF web ACL rules have an action
        "CKV_AWS_342",  # WAF rule has an action
        "CKV2_AWS_53",  # API Gateway rejects requests its validator does not accept
    ),
    _pci("7.2.1"): (
        "CKV_AWS_59",  # API Gateway methods are not open without authorization
        "CKV_AWS_309",  # API Gateway methods define authorization
        "CKV2_AWS_70",  # API Gateway method has authorization or an API key
        "CKV_AWS_93",  # S3 bucket policy does not lock out all but root
        "CKV2_AWS_65",  # S3 bucket ACLs disabled (bucket owner enforced)
        "CKV_AWS_364",  # Lambda permission restricts the invoking source
    ),
    _pci("7.2.2"): (
        "CKV_AWS_60",  # IAM role cannot be assumed by every principal
        "CKV_AWS_61",  # IAM role cannot be assumed by every service
        "CKV_AWS_393",  # GitHub Actions OIDC role trusts only safe claims
        "CKV_AWS_62",  # no IAM policy grants *:* administrative rights
        "CKV_AWS_63",  # no IAM policy allows the * action
        "CKV_AWS_274",  # no AdministratorAccess attachment
        "CKV_AWS_286",  # no privilege escalation
        "CKV_AWS_287",  # no credentials exposure
        "CKV_AWS_288",  # no data exfiltration
        "CKV_AWS_289",  # no unconstrained permissions management
        "CKV_AWS_290",  # no unconstrained write access
        "CKV_AWS_355",  # no * resource for restrictable actions
        "CKV2_AWS_40",  # no full IAM privileges
        "CKV2_AWS_56",  # AWS-managed IAMFullAccess policy not used
    ),
    _pci("8.6.2"): (
        "CKV_AWS_41",  # no AWS access key hard coded in the provider
        "CKV_AWS_45",  # no secret hard coded in Lambda environment variables
    ),
    _pci("10.2.1"): (
        "CKV_AWS_18",  # S3 access logging
        "CKV_AWS_76",  # API Gateway access logging
        "CKV2_AWS_4",  # API Gateway stage logging level
        "CKV2_AWS_31",  # WAF logging configuration
        "CKV2_AWS_62",  # S3 bucket reports object events
        "CKV_AWS_251",  # CloudTrail trail logging on
        "CKV_AWS_67",  # CloudTrail trail records every region
        "CKV2_AWS_10",  # CloudTrail trail delivers to CloudWatch Logs
        "CKV_AWS_252",  # CloudTrail trail notifies an SNS topic of each log file
    ),
    _pci("10.3.2"): (
        "CKV_AWS_158",  # CloudWatch log group encrypted with KMS
        "CKV_AWS_35",  # CloudTrail log files encrypted with KMS
        "CKV_AWS_36",  # CloudTrail log file validation
    ),
    _pci("10.5.1"): (
        "CKV_AWS_66",  # CloudWatch log group retention set
        "CKV_AWS_338",  # CloudWatch log group kept at least a year
    ),
    _pci("10.7.2"): ("CKV_AWS_319",),  # CloudWatch alarms notify the responders
    _pci("11.5.2"): ("CKV_AWS_272",),  # Lambda accepts only code signed by a trusted profile
    _pci("12.10.1"): (
        "CKV_AWS_21",  # S3 versioning
        "CKV_AWS_28",  # DynamoDB point-in-time recovery
        "CKV_AWS_144",  # S3 cross-region replication
        "CKV_AWS_116",  # Lambda dead-letter queue
    ),
    _own("throttling"): ("CKV_AWS_115",),  # Lambda reserved concurrency
    _own("capacity"): (
        "CKV2_AWS_16",  # DynamoDB table scales (on-demand or autoscaling)
        "CKV_AWS_120",  # API Gateway stage caching
        "CKV_AWS_225",  # API Gateway method settings caching
    ),
    _own("tracing"): (
        "CKV_AWS_50",  # Lambda X-Ray tracing
        "CKV_AWS_73",  # API Gateway stage X-Ray tracing
    ),
}

_HIGH = frozenset(
    {
        _pci(reference)
        for reference in ("1.4.4", "3.5.1", "3.6.1", "4.2.1", "6.4.2", "7.2.2", "8.6.2")
    }
)

_CONTROLS_BY_CHECK: dict[str, tuple[str, ...]] = {}
for _control, _checks in CHECKS_BY_CONTROL.items():
    for _check in _checks:
        _CONTROLS_BY_CHECK[_check] = (*_CONTROLS_BY_CHECK.get(_check, ()), _control)


def controls_for(check_id: str) -> tuple[str, ...]:
    return _CONTROLS_BY_CHECK.get(check_id, (UNMAPPED,))


def severity_for(check_id: str) -> Severity:
    """High for the controls that guard cardholder data directly, medium otherwise."""
    controls = controls_for(check_id)
    if any(control in _HIGH for control in controls):
        return Severity.HIGH
    return Severity.LOW if controls == (UNMAPPED,) else Severity.MEDIUM
