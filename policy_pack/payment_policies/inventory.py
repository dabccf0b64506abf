"""No AWS resource passes unjudged: each is of a kind some policy judges for what it is, or of a
kind reviewed as needing none, with the reason written down.

The tags and region policies inspect every resource, but they say nothing of whether a resource
is safe; without this policy a kind nothing else knows (a WAF Classic ACL, an S3 access point, any
aws-native resource) would pass the pack on its tags alone.
"""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import EnforcementLevel, Severity

from payment_policies.aws_types import aws_types
from payment_policies.declare import (
    Config,
    NotApplicable,
    Resource,
    judging,
    pci,
    resource_policy,
)
from payment_policies.kinds import CLOUD_RESOURCES

_OBJECT = (
    "an object in a bucket whose encryption, ownership controls, public access block and policy "
    "are judged; an object's own encryption override is not judged"
)
REVIEWED_KINDS = {
    "aws:apigateway/account:Account": (
        "API Gateway's account-wide CloudWatch role setting; the role it names is judged by the "
        "IAM policies"
    ),
    "aws:apigateway/deployment:Deployment": (
        "a snapshot of a REST API's methods; the methods and the stage serving it are judged"
    ),
    "aws:apigateway/integration:Integration": (
        "connects a method to its backend; the method's authorization and validation and the "
        "function it calls are judged"
    ),
    "aws:apigateway/model:Model": (
        "a request schema; whether methods validate requests is judged by "
        "apigateway-request-validation"
    ),
    "aws:apigateway/response:Response": (
        "a gateway response's status and template; it grants no access and holds no data"
    ),
    "aws:cloudwatch/dashboard:Dashboard": "a view of metrics; it grants no access, holds no data",
    "aws:kms/alias:Alias": "a name for a key; the key it names is judged",
    "aws:s3/bucketObject:BucketObject": _OBJECT,
    "aws:s3/bucketObjectv2:BucketObjectv2": _OBJECT,
}


def _judged(resource: Resource, config: Config) -> Iterator[str]:
    if judging(resource.type):
        return
    reviewed = {aws_types().same(token): why for token, why in config["reviewedKinds"].items()}
    if (reason := reviewed.get(aws_types().same(resource.type))) is not None:
        raise NotApplicable(f"{resource.type} is reviewed as needing no policy: {reason}")
    yield (
        f"no policy of this pack judges {resource.type}: nothing but its tags and region was "
        "checked, so it has not been judged compliant; give it a policy, or list its type in "
        "reviewedKinds with the reason it needs none"
    )


resource_kinds_judged = resource_policy(
    name="resource-kinds-judged",
    description=(
        "Every AWS resource is of a kind a policy judges, or of a kind reviewed as needing none."
    ),
    severity=Severity.HIGH,
    framework=pci("2.2.1"),
    remediation_steps=(
        "Add a policy that judges the resource kind against the configuration standard, or, when "
        "the kind holds nothing to judge (it is judged through another resource), add its type "
        "token to this policy's `reviewedKinds` with the reason."
    ),
    enforcement=EnforcementLevel.MANDATORY,
    applies_to=CLOUD_RESOURCES,
    check=_judged,
    config={
        "reviewedKinds": {
            "type": "object",
            "description": (
                "Resource type tokens (v6 or v7) no policy needs to judge, each with the reason."
            ),
            "additionalProperties": {"type": "string", "minLength": 1},
            "default": REVIEWED_KINDS,
        }
    },
)
