"""pulumi-aws type tokens to Terraform resource types, for v6 and v7 tokens.

A token `aws:<module>/<member>:<Name>` names the Terraform type `aws_<module>_<name in snake case>`
for almost every resource. The exceptions are those pulumi-aws's bridge metadata renames
(`renames.resources` in its `bridge-metadata.json`): whole families (most ec2 resources carry no
module prefix, rds's DB-instance family is `aws_db_*`) and single types listed below. v6 tokens
of the S3 configuration resources carry a `V2` suffix that v7 dropped: `aws:s3/bucketV2:BucketV2`
is v7's `aws:s3/bucket:Bucket`.
"""

from __future__ import annotations

import re

AWS_PACKAGE = "aws"

_MODULE_PREFIXES = {"apigateway": "api_gateway", "cfg": "config", "ec2": ""}
# ec2 resources are `aws_<name>` (aws_vpc, aws_security_group, aws_instance) except these families.
_EC2_PREFIXED = (
    "AvailabilityZoneGroup",
    "CapacityReservation",
    "ClientVpn",
    "Fleet",
    "Host",
    "InstanceConnectEndpoint",
    "LocalGateway",
    "ManagedPrefixList",
    "SerialConsoleAccess",
    "Tag",
    "TrafficMirror",
    "TransitGateway",
)
# rds resources of the DB-instance family are `aws_db_<name>`, the cluster family `aws_rds_<name>`.
_RDS_DB = (
    "EventSubscription",
    "Instance",
    "OptionGroup",
    "ParameterGroup",
    "Proxy",
    "Snapshot",
    "SubnetGroup",
)
_EXCEPTIONS = {
    "aws:alb/loadBalancer:LoadBalancer": "aws_alb",
    "aws:apigateway/response:Response": "aws_api_gateway_gateway_response",
    "aws:cfg/recorder:Recorder": "aws_config_configuration_recorder",
    "aws:cfg/rule:Rule": "aws_config_config_rule",
    "aws:cloudtrail/trail:Trail": "aws_cloudtrail",
    "aws:lb/loadBalancer:LoadBalancer": "aws_lb",
    "aws:s3/bucketObject:BucketObject": "aws_s3_bucket_object",
    "aws:s3/bucketObjectv2:BucketObjectv2": "aws_s3_object",
}
_V6_SUFFIX = re.compile(r"V2$")
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def snake_case(name: str) -> str:
    """`versioningConfiguration` -> `versioning_configuration`, `RestApi` -> `rest_api`."""
    return _CAMEL_BOUNDARY.sub("_", name).lower()


def is_aws(token: str) -> bool:
    return token.startswith(f"{AWS_PACKAGE}:")


def v7_token(token: str) -> str:
    """The v7 token of a resource: `aws:s3/bucketVersioningV2:BucketVersioningV2` ->
    `aws:s3/bucketVersioning:BucketVersioning`; v7 tokens are returned unchanged."""
    package, module_member, name = token.split(":")
    module, _, member = module_member.partition("/")
    if not name.endswith("V2") or module != "s3":
        return token
    return f"{package}:{module}/{_V6_SUFFIX.sub('', member)}:{_V6_SUFFIX.sub('', name)}"


def terraform_type(token: str) -> str:
    """The Terraform resource type of a pulumi-aws type token (v6 or v7)."""
    canonical = v7_token(token)
    if canonical in _EXCEPTIONS:
        return _EXCEPTIONS[canonical]
    _, module_member, name = canonical.split(":")
    module = module_member.partition("/")[0]
    prefix = _MODULE_PREFIXES.get(module, module)
    if module == "ec2" and name.startswith(_EC2_PREFIXED):
        prefix = "ec2"
    if module == "rds" and name.startswith(_RDS_DB):
        prefix = "db"
    return "_".join(part for part in (AWS_PACKAGE, prefix, snake_case(name)) if part)
