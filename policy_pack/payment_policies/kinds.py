"""The resource kinds policies inspect, each under every type token pulumi-aws has given it.

Tokens are written once here in their current (v7) form; `aws_types` maps older (v6) tokens such as
`aws:s3/bucketV2:BucketV2` onto them using the aliases pulumi-aws declares.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

from payment_policies.aws_types import aws_types


@dataclass(frozen=True)
class Kinds:
    """Which resources a policy inspects, and how to say so in a "not applicable" reason.

    A `specific` kind is one a policy judges for what it is; every AWS resource and every taggable
    one are not: tags and region say nothing of whether the resource itself is safe.
    """

    label: str
    test: Callable[[str], bool]
    specific: bool = True

    def __contains__(self, token: object) -> bool:
        return isinstance(token, str) and self.test(token)


def of_type(label: str, *tokens: str) -> Kinds:
    @functools.cache
    def wanted() -> frozenset[str]:
        """The tokens in their current form, worked out once on first use (not on import)."""
        return frozenset(map(aws_types().same, tokens))

    return Kinds(label, lambda token: aws_types().same(token) in wanted())


def any_of(label: str, *kinds: Kinds) -> Kinds:
    return Kinds(label, lambda token: any(token in kind for kind in kinds))


AWS_RESOURCES = Kinds("an AWS resource", lambda token: token.startswith("aws:"), specific=False)
TAGGABLE = Kinds(
    "a taggable AWS resource", lambda token: aws_types().is_taggable(token), specific=False
)
CLOUD_RESOURCES = Kinds(
    "a resource of the aws or aws-native package",
    lambda token: token.partition(":")[0] in ("aws", "aws-native"),
    specific=False,
)

KMS_KEYS = of_type("a KMS key", "aws:kms/key:Key")
BUCKETS = of_type("an S3 bucket", "aws:s3/bucket:Bucket")
BUCKET_IDENTITY = ("bucket", "id")
"""The properties other resources name a bucket by: its name, its id."""
BUCKET_ENCRYPTION = of_type(
    "an S3 bucket encryption configuration",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
)
PUBLIC_ACCESS_BLOCKS = of_type(
    "an S3 public access block", "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
)
BUCKET_VERSIONING = of_type("an S3 bucket versioning", "aws:s3/bucketVersioning:BucketVersioning")
BUCKET_OWNERSHIP = of_type(
    "S3 bucket ownership controls",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
)
BUCKET_POLICIES = of_type("an S3 bucket policy", "aws:s3/bucketPolicy:BucketPolicy")
BUCKET_LIFECYCLES = of_type(
    "an S3 bucket lifecycle configuration",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
)
TABLES = of_type("a DynamoDB table", "aws:dynamodb/table:Table")
TRAILS = of_type("a CloudTrail trail", "aws:cloudtrail/trail:Trail")
FUNCTIONS = of_type("a Lambda function", "aws:lambda/function:Function")
LOG_GROUPS = of_type("a CloudWatch log group", "aws:cloudwatch/logGroup:LogGroup")
TOPICS = of_type("an SNS topic", "aws:sns/topic:Topic")
QUEUES = of_type("an SQS queue", "aws:sqs/queue:Queue")
ALARMS = of_type("a CloudWatch metric alarm", "aws:cloudwatch/metricAlarm:MetricAlarm")
FUNCTION_URLS = of_type("a Lambda function URL", "aws:lambda/functionUrl:FunctionUrl")
DOMAIN_NAMES = of_type("an API Gateway custom domain", "aws:apigateway/domainName:DomainName")
BACKUP_VAULTS = of_type("a backup vault", "aws:backup/vault:Vault")
FORCE_DESTROYABLE = any_of("an S3 bucket or backup vault", BUCKETS, BACKUP_VAULTS)
BACKUP_PLANS = of_type("a backup plan", "aws:backup/plan:Plan")
VAULT_LOCKS = of_type(
    "a backup vault lock configuration",
    "aws:backup/vaultLockConfiguration:VaultLockConfiguration",
)
VAULT_POLICIES = of_type("a backup vault access policy", "aws:backup/vaultPolicy:VaultPolicy")
BACKUP_SELECTIONS = of_type("a backup selection", "aws:backup/selection:Selection")
REST_APIS = of_type("an API Gateway REST API", "aws:apigateway/restApi:RestApi")
API_RESOURCES = of_type("an API Gateway resource", "aws:apigateway/resource:Resource")
API_METHODS = of_type("an API Gateway method", "aws:apigateway/method:Method")
AUTHORIZED_SURFACES = any_of(
    "an API Gateway method or REST API (its OpenAPI body)", API_METHODS, REST_APIS
)
STAGES = of_type("an API Gateway REST stage", "aws:apigateway/stage:Stage")
METHOD_SETTINGS = of_type(
    "API Gateway method settings", "aws:apigateway/methodSettings:MethodSettings"
)
WAF_ASSOCIATIONS = of_type(
    "a WAF web ACL association", "aws:wafv2/webAclAssociation:WebAclAssociation"
)
WEB_ACLS = of_type("a WAF web ACL", "aws:wafv2/webAcl:WebAcl")
WAF_LOGGING_CONFIGURATIONS = of_type(
    "a WAF logging configuration",
    "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration",
)
REQUEST_VALIDATORS = of_type(
    "an API Gateway request validator", "aws:apigateway/requestValidator:RequestValidator"
)
ROLES = of_type("an IAM role", "aws:iam/role:Role")
ROLE_POLICIES = of_type("an IAM role policy", "aws:iam/rolePolicy:RolePolicy")
IAM_POLICIES = of_type("an IAM policy", "aws:iam/policy:Policy")
POLICY_ATTACHMENTS = of_type(
    "an IAM policy attachment",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws:iam/policyAttachment:PolicyAttachment",
    "aws:iam/userPolicyAttachment:UserPolicyAttachment",
    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
)
PERMISSIONS = of_type("a Lambda permission", "aws:lambda/permission:Permission")
IAM_DOCUMENTS = any_of("an IAM role, role policy or policy", ROLES, ROLE_POLICIES, IAM_POLICIES)
STATEFUL = any_of(
    "a stateful resource (KMS key, table, bucket, backup vault)",
    KMS_KEYS,
    TABLES,
    BUCKETS,
    BACKUP_VAULTS,
)
PUBLIC_POLICY_CARRIERS = of_type(
    "a bucket, key, topic, queue or backup vault policy",
    "aws:s3/bucketPolicy:BucketPolicy",
    "aws:backup/vaultPolicy:VaultPolicy",
    "aws:kms/key:Key",
    "aws:sns/topic:Topic",
    "aws:sns/topicPolicy:TopicPolicy",
    "aws:sqs/queue:Queue",
    "aws:sqs/queuePolicy:QueuePolicy",
)
V2_APIS = of_type("an API Gateway v2 API", "aws:apigatewayv2/api:Api")
V2_ROUTES = of_type("an API Gateway v2 route", "aws:apigatewayv2/route:Route")
V2_ROUTES_AND_APIS = any_of("an API Gateway v2 API or route", V2_APIS, V2_ROUTES)
V2_STAGES = of_type("an API Gateway v2 stage", "aws:apigatewayv2/stage:Stage")
