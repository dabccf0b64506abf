"""pulumi-aws type tokens to Terraform resource types, for v6 and v7 tokens.

A token `aws:<module>/<member>:<Name>` names the Terraform type `aws_<module>_<name in snake case>`
for almost every resource. The exceptions are those pulumi-aws's bridge metadata renames
(`renames.resources` in its `bridge-metadata.json`): whole families (most ec2 resources carry no
module prefix, rds's DB-instance family is `aws_db_*`) and single types listed below. v6 tokens
are read as their v7 form (`compliance.model.tokens`).
"""

from __future__ import annotations

import re

from compliance.model.tokens import AWS_PACKAGE, v7_token

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
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def snake_case(name: str) -> str:
    """`versioningConfiguration` -> `versioning_configuration`, `RestApi` -> `rest_api`."""
    return _CAMEL_BOUNDARY.sub("_", name).lower()


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
