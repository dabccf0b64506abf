"""A local AWS account for the live engine's benchmark and tests: a moto server process on the
loopback interface (`moto[server]`, the dev extra), and the stack deployed into it with boto3 from
the stack's own graph, compliant as the program declares it, with its `pulumi stack export` as
Pulumi would record it (ids, ARNs, the declared values as outputs).

Only what the live checks read is deployed; resources of other kinds get an id and their declared
inputs, so the export stays the whole stack.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import IO, Any

import boto3

from compliance.model.graph import GraphResource, ResourceGraph, is_unknown
from compliance.model.tokens import v7_token

REGION = "eu-west-1"
ACCOUNT = "123456789012"
ALLOWED = ["eu-west-1"]
REGION_DENY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "DenyOutsideAllowedRegions",
            "Effect": "Deny",
            "Action": "*",
            "Resource": "*",
            "Condition": {"StringNotEquals": {"aws:RequestedRegion": ALLOWED}},
        }
    ],
}
LAMBDA_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
}
"""What the moto server accepts; never a real account's."""


class LocalAccountError(RuntimeError):
    """The moto server did not start."""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def moto_server(log: IO[bytes]) -> Iterator[str]:
    """A moto server on 127.0.0.1 and a free port, for as long as the context lasts: its URL."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, **CREDENTIALS},
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while True:
            try:
                urllib.request.urlopen(f"{url}/moto-api/", timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise LocalAccountError(
                        f"the moto server did not start (is moto[server] installed? its "
                        f"output: {getattr(log, 'name', 'not kept')})"
                    ) from None
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def reset(url: str) -> None:
    """Empty the moto server: no resource left from an earlier deployment."""
    request = urllib.request.Request(f"{url}/moto-api/reset", method="POST")
    urllib.request.urlopen(request, timeout=10).close()


def known(value: Any) -> Any:
    """`value` without what was unknown during preview."""
    if isinstance(value, dict):
        return {k: known(v) for k, v in value.items() if not is_unknown(v)}
    if isinstance(value, list):
        return [known(v) for v in value if not is_unknown(v)]
    return value


def _tags(resource: GraphResource) -> dict[str, str]:
    return dict(resource.inputs.get("tags") or {})


def _pascal(value: Any) -> Any:
    """A Pulumi input (camelCase keys) as the AWS API spells it (PascalCase keys)."""
    if isinstance(value, dict):
        return {key[:1].upper() + key[1:]: _pascal(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_pascal(item) for item in value]
    return value


def function_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return {}\n")
    return buffer.getvalue()


class MotoStack:
    """Deploys one resource at a time, remembering what later ones refer to."""

    def __init__(
        self, graph: ResourceGraph, session: boto3.session.Session, endpoint_url: str | None
    ) -> None:
        self.graph = graph
        self.session = session
        self.endpoint_url = endpoint_url
        self.key_arn = ""
        self.key_id = ""
        self.role_arns: dict[str, str] = {}
        self.rest_api_id = ""
        self.plan_id = ""
        self.web_acl_arn = ""
        self.access_log_arn = ""

    def client(self, service: str) -> Any:
        return self.session.client(service, region_name=REGION, endpoint_url=self.endpoint_url)

    def sibling(self, resource: GraphResource, token: str) -> GraphResource:
        found = [r for r in self.graph if r.parent == resource.parent and v7_token(r.type) == token]
        assert len(found) == 1, (resource.urn, token, len(found))
        return found[0]

    def resource(self, urn: str) -> GraphResource:
        (found,) = [r for r in self.graph if r.urn == urn]
        return found

    def dependency(self, resource: GraphResource, field: str) -> str:
        """The URN of the resource an input of `resource` takes its value from."""
        (urn,) = resource.property_dependencies[field]
        return urn

    def deploy(self) -> ResourceGraph:
        order = sorted(self.graph, key=lambda r: ORDER.get(v7_token(r.type), len(ORDER)))
        deployed = {r.urn: self._deploy(r) for r in order}
        return replace(self.graph, resources=tuple(deployed[r.urn] for r in self.graph))

    def _deploy(self, resource: GraphResource) -> GraphResource:
        if not resource.custom:
            return resource
        handler = HANDLERS.get(v7_token(resource.type))
        outputs = known(resource.inputs)
        if resource.type == "pulumi:providers:aws":
            return replace(resource, id="provider", outputs=outputs)
        if handler is None:
            return replace(resource, id=f"{resource.name}-id", outputs=outputs)
        resource_id, extra = handler(self, resource)
        return replace(resource, id=resource_id, outputs={**outputs, **extra})

    # Keys ---------------------------------------------------------------------------------
    def key(self, r: GraphResource) -> tuple[str, dict[str, Any]]:
        kms = self.client("kms")
        tags = [{"TagKey": k, "TagValue": v} for k, v in _tags(r).items()]
        metadata = kms.create_key(Description=str(r.inputs.get("description", "")), Tags=tags)
        self.key_id = metadata["KeyMetadata"]["KeyId"]
        self.key_arn = metadata["KeyMetadata"]["Arn"]
        kms.enable_key_rotation(KeyId=self.key_id)
        return self.key_id, {"arn": self.key_arn, "keyId": self.key_id, "enableKeyRotation": True}

    def alias(self, r: GraphResource) -> tuple[str, dict[str, Any]]:
        name = str(r.inputs["name"])
        self.client("kms").create_alias(AliasName=name, TargetKeyId=self.key_id)
        arn = f"arn:aws:kms:{REGION}:{ACCOUNT}:{name}"
        return name, {"arn": arn, "targetKeyId": self.key_id, "targetKeyArn": self.key_arn}

    # Storage ------------------------------------------------------------------------------
    def bucket(self, r: GraphResource) -> tuple[str, dict[str, Any]]:
        s3, name = self.client("s3"), str(r.inputs["bucket"])
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
        s3.put_bucket_tagging(
            Bucket=name, Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in _tags(r).items()]}
        )
        # What AWS sets on every new bucket since April 2023.
        s3.put_bucket_ownership_controls(
            Bucket=name,
            OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
        )
        return name, {"bucket": name, "arn": f"arn:aws:s3:::{name}"}

    def _bucket_of(self, r: GraphResource) -> str:
        return str(self.sibling(r, "aws:s3/bucket:Bucket").inputs["bucket"])

    def versioning(self, r: GraphResource) -> tuple[str, dict[str, Any]]:
        name = self._bucket_of(r)
        self.client("s3").put_bucket_versioning(
            Bucket=name, VersioningConfiguration={"Status": "Enabled"}
        )
        return name, {"bucket": name, "versioningConfiguration": {"status": "Enabled"}}

    def encryption(self, r: GraphResource) -> tuple[str, dict[str, Any]]:
        name = self._bucket_of(r)
        self.client("s3").put_bucket_encryption(
            Bucket=name,
            ServerSideEncryptionConfiguration={
                "Rules": [
                    {
                        "ApplyServerSideEncryptionByDefault": {
                            "SSEAlgorithm": "aws:kms",
                            "KMSMasterKeyID": self.key_arn,
                        },
                        "BucketKeyEnabled": True,
                    }
                ]
            },
        )
        rule = {
            "applyServerSideEncryptionByDefault": {
                "sseAlgorithm": "aws:kms",
                "kmsMasterKeyId": self.key_arn,
            },
            "bucketKeyEnabled": True,
        }
        return name, {"bucket": name, "rules": [rule]}

    def public_access_block(self, r: GraphResource) -> tuple[str, dict[str, Any]]:
        name = self._bucket_of(r)
        flags = {
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        }
        self.client("s3").put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=flags)
        return name, {"bucket": name, **{k[0].lower() + k[1:]: v for k, v in flags.items()}}

    def bucket_policy(self, r: GraphResource) -> tuple[str, dict[str, Any]]:
        name = self._bucket_of(r)
        policy = json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "DenyInsecureTransport",
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": "s3:*",
                        "Resource": [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"],
                        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                    }
                ],
            }
        )
        self.client("s3").put_bucket_policy(Bucket=name, Policy=policy)
        return name, {"bucket": name, "policy": policy}

    def lifecycle(self, r: GraphResource) -> tuple[str, dict[str, Any]]:
        name = self._bucket_of(r)
        self.client("s3").put_bucket_lifecycle_configuration(
            Bucket=name,
            LifecycleConfiguration={
                "Rules": [
                    {
                        "ID": "expire-noncurrent",
                        "Status": "Enabled",
                        "Filter": {},
                        "NoncurrentVersionExpiration": {"NoncurrentDays": 365},
                    }
                ]
            },
        )
        return name, {"bucket": name}

    def table(self, r: GraphResource) -> tuple[str, dict[str, Any]]:
        dynamodb, name = self.client("dynamodb"), str(r.inputs["name"])
        answer = dynamodb.create_table(
            TableName=name,
            AttributeDefinitions=[
                {"AttributeName": a["name"], "AttributeType": a["type"]}
                for a in r.inputs["attributes"]
            ],
            KeySchema=[{"AttributeName": r.inputs["hashKey"], "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
            SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": self.key_arn},
            DeletionProtectionEnabled=True,
            Tags=[{"Key": k, "Value": v} for k, v in _tags(r).items()],
        )
        dynamodb.update_continuous_backups(
            TableName=name,
            PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
        )
        return name, {
            "arn": answer["TableDescription"]["TableArn"],
            "serverSideEncryption": {"enabled": True, "kmsKeyArn": self.key_arn},
        }

    def vault(self, r: GraphResource) -> tuple[str, dict[str, Any]]:
        name = str(r.inputs["name"])
        answer = self.client("backup").create_backup_vault(
            BackupVaultName=name, EncryptionKeyArn=self.key_arn, BackupVaultTags=_tags(r)
        )
        return name, {"arn": answer["BackupVaultArn"], "kmsKeyArn": self.key_arn}

    def vault_lock(self, r: GraphResource) -> tuple[str, dict[str, Any]]:
        name = str(self.resource(self.dependency(r, "backupVaultName")).inputs["name"])
        self.client("backup").put_backup_vault_lock_configuration(
            BackupVaultName=name, MinRetentionDays=int(r.inputs["minRetentionDays"])
        )
        return name, {"backupVaultName": name}

    def trail(self, r: GraphResource) -> tuple[str, dict[str, Any]]:
        name = str(r.inputs["name"])
        bucket = str(self.resource(self.dependency(r, "s3BucketName")).inputs["bucket"])
        cloudtrail = self.client("cloudtrail")
        answer = cloudtrail.create_trail(
            Name=name,
            S3BucketName=bucket,
            KmsKeyId=self.key_arn,
            EnableLogFileValidation=bool(r.inputs.get("enableLogFileValidation", False)),
            IsMultiRegionTrail=bool(r.inputs.get("isMultiRegionTrail", False)),
            IncludeGlobalServiceEvents=bool(r.inputs.get("includeGlobalServiceEvents", True)),
            TagsList=[{"Key": k, "Value": v} for k, v in _tags(r).items()],
        )
        selectors = [_pascal(selector) for selector in known(r.inputs.get("eventSelectors", []))]
        cloudtrail.put_event_selectors(TrailName=name, EventSelectors=selectors)
        if r.inputs.get("enableLogging", True):
            cloudtrail.start_logging(Name=name)
        arn = answer["TrailARN"]
        return arn, {"arn": arn, "s3BucketName": bucket, "kmsKeyId": self.key_arn}

    def plan(self, r: GraphResource) -> tuple[str, dict[str, Any]]:
        rules = r.inputs["rules"]
        answer = self.client("backup").create_backup_plan(
            BackupPlan={
                "BackupPlanName": str(r.inputs["name"]),
                "Rules": [
                    {
                        "RuleName": rule["ruleName"],
                        "TargetBackupVaultName": self.sibling(r, "aws:backup/vault:Vault").inputs[
                            "name"
                        ],
                        "ScheduleExpression": rule["schedule"],
                        "Lifecycle": {"DeleteAfterDays": rule["lifecycle"]["deleteAfter"]},
                    }
                    for rule in rules
                ],
            },
            BackupPlanTags=_tags(r),
        )
        self.plan_id = answer["BackupPlanId"]
        return self.plan_id, {"arn": answer["BackupPlanArn"], "rules": known(rules)}

    # Identity -----------------------------------------------------------------------------
    def role(self, r: GraphResource) -> tuple[str, dict[str, Any]]:
        name = str(r.inputs["name"])
        answer = self.client("iam").create_role(
            RoleName=name,
            AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST),
            Tags=[{"Key": k, "Value": v} for k, v in _tags(r).items()],
        )
        self.role_arns[r.urn] = answer["Role"]["Arn"]
        return name, {"arn": answer["Role"]["Arn"], "name": name}

    def role_policy(self, r: GraphResource) -> tuple[str, dict[str, Any]]:
        role = str(self.sibling(r, "aws:iam/role:Role").inputs["name"])
        policy = r.inputs.get("policy")
        document = policy if isinstance(policy, str) and "region" not in r.name else None
        text = document or json.dumps(REGION_DENY)
        self.client("iam").put_role_policy(
            RoleName=role, PolicyName=str(r.inputs["name"]), PolicyDocument=text
        )
        return f"{role}:{r.inputs['name']}", {"role": role, "policy": text}

    # Functions and logs -------------------------------------------------------------------
    def log_group(self, r: GraphResource) -> tuple[str, dict[str, Any]]:
        logs, name = self.client("logs"), str(r.inputs["name"])
        logs.create_log_group(logGroupName=name, kmsKeyId=self.key_arn, tags=_tags(r))
        logs.put_retention_policy(logGroupName=name, retentionInDays=365)
        arn = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{name}:*"
        if "access" in name:
            self.access_log_arn = arn.removesuffix(":*")
        return name, {"arn": arn, "kmsKeyId": self.key_arn}

    def function(self, r: GraphResource) -> tuple[str, dict[str, Any]]:
        lambda_, name = self.client("lambda"), str(r.inputs["name"])
        answer = lambda_.create_function(
            FunctionName=name,
            Runtime=str(r.inputs["runtime"]),
            Role=self.role_arns[self.dependency(r, "role")],
            Handler=str(r.inputs["handler"]),
            Code={"ZipFile": function_zip()},
            TracingConfig={"Mode": "Active"},
            KMSKeyArn=self.key_arn,
            Environment={"Variables": {"POWERTOOLS_SERVICE_NAME": name}},
            Tags=_tags(r),
        )
        lambda_.put_function_concurrency(
            FunctionName=name,
            ReservedConcurrentExecutions=int(r.inputs["reservedConcurrentExecutions"]),
        )
        return name, {"arn": answer["FunctionArn"], "kmsKeyArn": self.key_arn}

    def topic(self, r: GraphResource) -> tuple[str, dict[str, Any]]:
        answer = self.client("sns").create_topic(
            Name=str(r.inputs["name"]),
            Attributes={"KmsMasterKeyId": self.key_arn},
            Tags=[{"Key": k, "Value": v} for k, v in _tags(r).items()],
        )
        arn = answer["TopicArn"]
        return arn, {"arn": arn, "kmsMasterKeyId": self.key_arn}

    # The API and its WAF ------------------------------------------------------------------
    def web_acl(self, r: GraphResource) -> tuple[str, dict[str, Any]]:
        answer = self.client("wafv2").create_web_acl(
            Name=str(r.inputs["name"]),
            Scope="REGIONAL",
            DefaultAction={"Allow": {}},
            Rules=[],
            VisibilityConfig={
                "SampledRequestsEnabled": True,
                "CloudWatchMetricsEnabled": True,
                "MetricName": str(r.inputs["name"]),
            },
        )
        self.web_acl_arn = answer["Summary"]["ARN"]
        return answer["Summary"]["Id"], {"arn": self.web_acl_arn}

    def rest_api(self, r: GraphResource) -> tuple[str, dict[str, Any]]:
        apigateway = self.client("apigateway")
        self.rest_api_id = apigateway.create_rest_api(name=str(r.inputs.get("name", r.name)))["id"]
        root = apigateway.get_resources(restApiId=self.rest_api_id)["items"][0]["id"]
        resource = apigateway.create_resource(
            restApiId=self.rest_api_id, parentId=root, pathPart="payment"
        )["id"]
        apigateway.put_method(
            restApiId=self.rest_api_id,
            resourceId=resource,
            httpMethod="POST",
            authorizationType="AWS_IAM",
        )
        apigateway.put_integration(
            restApiId=self.rest_api_id, resourceId=resource, httpMethod="POST", type="MOCK"
        )
        return self.rest_api_id, {"id": self.rest_api_id, "rootResourceId": root}

    def stage(self, r: GraphResource) -> tuple[str, dict[str, Any]]:
        apigateway, name = self.client("apigateway"), str(r.inputs["stageName"])
        apigateway.create_deployment(restApiId=self.rest_api_id, stageName=name)
        apigateway.update_stage(
            restApiId=self.rest_api_id,
            stageName=name,
            patchOperations=[
                {"op": "replace", "path": "/tracingEnabled", "value": "true"},
                {
                    "op": "replace",
                    "path": "/accessLogSettings/destinationArn",
                    "value": self.access_log_arn,
                },
                {
                    "op": "replace",
                    "path": "/accessLogSettings/format",
                    "value": "$context.requestId",
                },
            ],
        )
        arn = f"arn:aws:apigateway:{REGION}::/restapis/{self.rest_api_id}/stages/{name}"
        return f"ags-{self.rest_api_id}-{name}", {
            "restApi": self.rest_api_id,
            "arn": arn,
            "accessLogSettings": {"destinationArn": self.access_log_arn},
        }

    def method_settings(self, r: GraphResource) -> tuple[str, dict[str, Any]]:
        name, settings = str(r.inputs["stageName"]), r.inputs["settings"]
        self.client("apigateway").update_stage(
            restApiId=self.rest_api_id,
            stageName=name,
            patchOperations=[
                {
                    "op": "replace",
                    "path": "/*/*/throttling/rateLimit",
                    "value": str(settings["throttlingRateLimit"]),
                },
                {
                    "op": "replace",
                    "path": "/*/*/throttling/burstLimit",
                    "value": str(settings["throttlingBurstLimit"]),
                },
                {"op": "replace", "path": "/*/*/logging/dataTrace", "value": "false"},
            ],
        )
        return f"{self.rest_api_id}-{name}-*/*", {"restApi": self.rest_api_id, "settings": settings}

    def web_acl_association(self, r: GraphResource) -> tuple[str, dict[str, Any]]:
        stage = self.sibling(r, "aws:apigateway/stage:Stage").inputs["stageName"]
        arn = f"arn:aws:apigateway:{REGION}::/restapis/{self.rest_api_id}/stages/{stage}"
        self.client("wafv2").associate_web_acl(WebACLArn=self.web_acl_arn, ResourceArn=arn)
        return f"{self.web_acl_arn},{arn}", {"webAclArn": self.web_acl_arn, "resourceArn": arn}


Handler = Callable[[MotoStack, GraphResource], tuple[str, dict[str, Any]]]
HANDLERS: dict[str, Handler] = {
    "aws:kms/key:Key": MotoStack.key,
    "aws:kms/alias:Alias": MotoStack.alias,
    "aws:s3/bucket:Bucket": MotoStack.bucket,
    "aws:s3/bucketVersioning:BucketVersioning": MotoStack.versioning,
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": (
        MotoStack.encryption
    ),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": MotoStack.public_access_block,
    "aws:s3/bucketPolicy:BucketPolicy": MotoStack.bucket_policy,
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": MotoStack.lifecycle,
    "aws:cloudtrail/trail:Trail": MotoStack.trail,
    "aws:dynamodb/table:Table": MotoStack.table,
    "aws:backup/vault:Vault": MotoStack.vault,
    "aws:backup/vaultLockConfiguration:VaultLockConfiguration": MotoStack.vault_lock,
    "aws:backup/plan:Plan": MotoStack.plan,
    "aws:iam/role:Role": MotoStack.role,
    "aws:iam/rolePolicy:RolePolicy": MotoStack.role_policy,
    "aws:cloudwatch/logGroup:LogGroup": MotoStack.log_group,
    "aws:lambda/function:Function": MotoStack.function,
    "aws:sns/topic:Topic": MotoStack.topic,
    "aws:wafv2/webAcl:WebAcl": MotoStack.web_acl,
    "aws:apigateway/restApi:RestApi": MotoStack.rest_api,
    "aws:apigateway/stage:Stage": MotoStack.stage,
    "aws:apigateway/methodSettings:MethodSettings": MotoStack.method_settings,
    "aws:wafv2/webAclAssociation:WebAclAssociation": MotoStack.web_acl_association,
}
ORDER = {token: index for index, token in enumerate(HANDLERS)}
"""What refers to what: keys first, the WAF's association last."""


def deploy(
    graph: ResourceGraph, session: boto3.session.Session, *, endpoint_url: str | None = None
) -> ResourceGraph:
    """`graph` deployed through `session` (to `endpoint_url`, else boto3's own settings)."""
    return MotoStack(graph, session, endpoint_url).deploy()
