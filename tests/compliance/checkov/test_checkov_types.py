from __future__ import annotations

import pytest

from compliance.checkov.attributes import singular, terraform_attribute
from compliance.checkov.types import terraform_type
from compliance.model.graph import ResourceGraph
from compliance.model.tokens import v7_token

TERRAFORM_TYPES = {
    "aws:kms/key:Key": "aws_kms_key",
    "aws:kms/alias:Alias": "aws_kms_alias",
    "aws:s3/bucket:Bucket": "aws_s3_bucket",
    "aws:s3/bucketV2:BucketV2": "aws_s3_bucket",
    "aws:s3/bucketVersioning:BucketVersioning": "aws_s3_bucket_versioning",
    "aws:s3/bucketVersioningV2:BucketVersioningV2": "aws_s3_bucket_versioning",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": (
        "aws_s3_bucket_server_side_encryption_configuration"
    ),
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2": (
        "aws_s3_bucket_server_side_encryption_configuration"
    ),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": (
        "aws_s3_bucket_lifecycle_configuration"
    ),
    "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2": (
        "aws_s3_bucket_lifecycle_configuration"
    ),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": "aws_s3_bucket_public_access_block",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": "aws_s3_bucket_ownership_controls",
    "aws:backup/vaultLockConfiguration:VaultLockConfiguration": (
        "aws_backup_vault_lock_configuration"
    ),
    "aws:s3/bucketPolicy:BucketPolicy": "aws_s3_bucket_policy",
    "aws:s3/bucketObjectv2:BucketObjectv2": "aws_s3_object",
    "aws:s3/bucketObject:BucketObject": "aws_s3_bucket_object",
    "aws:dynamodb/table:Table": "aws_dynamodb_table",
    "aws:backup/vault:Vault": "aws_backup_vault",
    "aws:backup/plan:Plan": "aws_backup_plan",
    "aws:backup/selection:Selection": "aws_backup_selection",
    "aws:iam/role:Role": "aws_iam_role",
    "aws:iam/rolePolicy:RolePolicy": "aws_iam_role_policy",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": "aws_iam_role_policy_attachment",
    "aws:lambda/function:Function": "aws_lambda_function",
    "aws:lambda/permission:Permission": "aws_lambda_permission",
    "aws:cloudwatch/logGroup:LogGroup": "aws_cloudwatch_log_group",
    "aws:cloudwatch/metricAlarm:MetricAlarm": "aws_cloudwatch_metric_alarm",
    "aws:cloudwatch/dashboard:Dashboard": "aws_cloudwatch_dashboard",
    "aws:sns/topic:Topic": "aws_sns_topic",
    "aws:sns/topicSubscription:TopicSubscription": "aws_sns_topic_subscription",
    "aws:wafv2/webAcl:WebAcl": "aws_wafv2_web_acl",
    "aws:wafv2/webAclAssociation:WebAclAssociation": "aws_wafv2_web_acl_association",
    "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration": (
        "aws_wafv2_web_acl_logging_configuration"
    ),
    "aws:apigateway/restApi:RestApi": "aws_api_gateway_rest_api",
    "aws:apigateway/resource:Resource": "aws_api_gateway_resource",
    "aws:apigateway/method:Method": "aws_api_gateway_method",
    "aws:apigateway/integration:Integration": "aws_api_gateway_integration",
    "aws:apigateway/deployment:Deployment": "aws_api_gateway_deployment",
    "aws:apigateway/stage:Stage": "aws_api_gateway_stage",
    "aws:apigateway/methodSettings:MethodSettings": "aws_api_gateway_method_settings",
    "aws:apigateway/requestValidator:RequestValidator": "aws_api_gateway_request_validator",
    "aws:apigateway/model:Model": "aws_api_gateway_model",
    "aws:apigateway/account:Account": "aws_api_gateway_account",
    "aws:apigateway/response:Response": "aws_api_gateway_gateway_response",
    "aws:ec2/vpc:Vpc": "aws_vpc",
    "aws:ec2/securityGroup:SecurityGroup": "aws_security_group",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "aws_vpc_endpoint",
    "aws:ec2/flowLog:FlowLog": "aws_flow_log",
    "aws:ec2/transitGateway:TransitGateway": "aws_ec2_transit_gateway",
    "aws:rds/instance:Instance": "aws_db_instance",
    "aws:rds/cluster:Cluster": "aws_rds_cluster",
    "aws:cloudtrail/trail:Trail": "aws_cloudtrail",
    "aws:s3/bucketLoggingV2:BucketLoggingV2": "aws_s3_bucket_logging",
    "aws:sqs/queue:Queue": "aws_sqs_queue",
}
"""pulumi-aws token -> the Terraform type its provider documents, written out by hand."""


@pytest.mark.parametrize(("token", "expected"), TERRAFORM_TYPES.items())
def test_pulumi_aws_token_names_its_terraform_type(token: str, expected: str) -> None:
    assert terraform_type(token) == expected


def test_every_type_the_stack_uses_has_its_terraform_type_written_out(
    stack_graph: ResourceGraph,
) -> None:
    used = {r.type for r in stack_graph.custom_resources()}
    assert sorted(used - TERRAFORM_TYPES.keys()) == []


def test_v6_tokens_resolve_to_their_v7_token() -> None:
    assert v7_token("aws:s3/bucketV2:BucketV2") == "aws:s3/bucket:Bucket"
    assert (
        v7_token("aws:s3/bucketObjectv2:BucketObjectv2") == "aws:s3/bucketObjectv2:BucketObjectv2"
    )


@pytest.mark.parametrize(
    ("plural", "expected"),
    [
        ("rules", "rule"),
        ("transitions", "transition"),
        ("noncurrent_version_transitions", "noncurrent_version_transition"),
        ("inline_policies", "inline_policy"),
        ("global_secondary_indexes", "global_secondary_index"),
        ("metric_queries", "metric_query"),
        ("access", "access"),
    ],
)
def test_lists_of_blocks_take_terraform_singular_names(plural: str, expected: str) -> None:
    assert singular(plural) == expected


@pytest.mark.parametrize(
    ("resource_type", "name", "top_level", "expected"),
    [
        ("aws_api_gateway_stage", "restApi", True, "rest_api_id"),
        ("aws_api_gateway_stage", "deployment", True, "deployment_id"),
        ("aws_lambda_permission", "function", True, "function_name"),
        ("aws_cloudwatch_metric_alarm", "name", True, "alarm_name"),
        ("aws_cloudwatch_metric_alarm", "name", False, "name"),
    ],
)
def test_inputs_pulumi_renames_take_their_terraform_names(
    resource_type: str, name: str, top_level: bool, expected: str
) -> None:
    assert terraform_attribute(resource_type, name, top_level=top_level, blocks=False) == expected
