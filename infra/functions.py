"""Lambda functions: Python code from `lambda_packages/`, uploaded to the lambda-code bucket.

Each function gets its KMS-encrypted log group, its code object (keyed by the zip's SHA-256, so
a code change and only a code change updates the function), X-Ray tracing, reserved concurrency,
a KMS-encrypted environment and the AWS-managed Powertools layer.
"""

import os
from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra.inventory import FunctionSpec
from infra.naming import Names
from lambda_packages.packaging import BuiltPackage

MEMORY_MB = 512
TIMEOUT_SECONDS = 30
POWERTOOLS_ACCOUNT = "017000801446"


def powertools_layer_arn(region: str, runtime: str, version: int) -> str:
    """The AWS-managed Powertools for AWS Lambda (Python) v3 layer for a runtime, x86_64."""
    python = runtime.replace(".", "")
    return (
        f"arn:aws:lambda:{region}:{POWERTOOLS_ACCOUNT}:layer:"
        f"AWSLambdaPowertoolsPythonV3-{python}-x86_64:{version}"
    )


@dataclass(frozen=True, kw_only=True)
class FunctionArgs:
    spec: FunctionSpec
    names: Names
    code: BuiltPackage
    code_bucket: pulumi.Input[str]
    """The lambda-code bucket's id (its name), from the bucket resource."""
    role_arn: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str]
    environment: Mapping[str, pulumi.Input[str]]
    layer_arn: str
    reserved_concurrency: int
    log_retention_days: int
    tags: Mapping[str, str]


class Function(pulumi.ComponentResource):
    """`payments:functions:Function`: log group, code object and function."""

    function: aws.lambda_.Function
    log_group: aws.cloudwatch.LogGroup

    def __init__(
        self, name: str, args: FunctionArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("payments:functions:Function", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        spec = args.spec
        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=args.names.function_log_group(spec.name),
            retention_in_days=args.log_retention_days,
            kms_key_id=args.kms_key_arn,
            tags=dict(args.tags),
            opts=child,
        )
        code = aws.s3.BucketObjectv2(
            f"{name}-code",
            bucket=args.code_bucket,
            key=args.names.code_key(spec.name, args.code.sha256_hex),
            # Relative, so the state does not record this checkout's absolute path.
            source=pulumi.FileAsset(os.path.relpath(args.code.path)),
            content_type="application/zip",
            tags=dict(args.tags),
            opts=child,
        )
        self.function = aws.lambda_.Function(
            name,
            name=args.names.function(spec.name),
            runtime=spec.runtime,
            handler=spec.handler,
            role=args.role_arn,
            s3_bucket=code.bucket,
            s3_key=code.key,
            source_code_hash=args.code.sha256_base64,
            memory_size=MEMORY_MB,
            timeout=TIMEOUT_SECONDS,
            reserved_concurrent_executions=args.reserved_concurrency,
            environment={
                "variables": {
                    **spec.environment,
                    **args.environment,
                    "POWERTOOLS_SERVICE_NAME": spec.name,
                }
            },
            kms_key_arn=args.kms_key_arn,
            tracing_config={"mode": "Active"},
            layers=[args.layer_arn],
            logging_config={"log_format": "JSON", "log_group": self.log_group.name},
            tags=dict(args.tags),
            opts=child,
        )
        self.register_outputs({"functionArn": self.function.arn})
