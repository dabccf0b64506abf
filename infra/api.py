"""The REST API: POST /payment proxied to the payment processor, behind IAM auth and the WAF."""

import json
from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra.iam import assume_role_policy, restrict_to_region
from infra.naming import Names

PUSH_TO_CLOUDWATCH_POLICY = (
    "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
)
# One JSON object per request; never the body (card data must not reach logs).
ACCESS_LOG_FORMAT = json.dumps(
    {
        "requestId": "$context.requestId",
        "extendedRequestId": "$context.extendedRequestId",
        "requestTime": "$context.requestTime",
        "sourceIp": "$context.identity.sourceIp",
        "caller": "$context.identity.caller",
        "userArn": "$context.identity.userArn",
        "httpMethod": "$context.httpMethod",
        "resourcePath": "$context.resourcePath",
        "status": "$context.status",
        "protocol": "$context.protocol",
        "responseLength": "$context.responseLength",
        "integrationLatency": "$context.integrationLatency",
        "wafStatus": "$context.waf.status",
        "xrayTraceId": "$context.xrayTraceId",
    },
    separators=(",", ":"),
)
# The handler reports every field's problem itself; the gateway only rejects bodies that are no
# JSON object, answering in the handler's error shape.
PAYMENT_REQUEST_SCHEMA = json.dumps(
    {
        "$schema": "http://json-schema.org/draft-04/schema#",
        "title": "PaymentRequest",
        "type": "object",
    }
)


# The handler's shape for a body it cannot read, with a fixed message: the validator's own text
# is not echoed, so nothing of the body can come back.
INVALID_BODY_RESPONSE = json.dumps(
    {
        "error": "invalid_request",
        "message": "the body must be a JSON object",
        "requestId": "$context.requestId",
    }
)


@dataclass(frozen=True, kw_only=True)
class PaymentApiArgs:
    names: Names
    region: str
    account_id: pulumi.Input[str]
    function: aws.lambda_.Function
    web_acl_arn: pulumi.Input[str]
    authorization: str
    throttling_rate_limit: int
    throttling_burst_limit: int
    kms_key_arn: pulumi.Input[str]
    log_retention_days: int
    tags: Mapping[str, str]


class PaymentApi(pulumi.ComponentResource):
    """`payments:api:RestApi`: API, method, validator, stage, logging, throttling, WAF."""

    rest_api: aws.apigateway.RestApi
    stage: aws.apigateway.Stage

    def __init__(
        self, name: str, args: PaymentApiArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("payments:api:RestApi", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(args.tags)
        self.rest_api = aws.apigateway.RestApi(
            name,
            name=args.names.stack_scoped("api"),
            description="Payment processing API",
            endpoint_configuration={"types": "REGIONAL"},
            tags=tags,
            opts=child,
        )
        resource = aws.apigateway.Resource(
            f"{name}-payment",
            rest_api=self.rest_api.id,
            parent_id=self.rest_api.root_resource_id,
            path_part="payment",
            opts=child,
        )
        validator = aws.apigateway.RequestValidator(
            f"{name}-validator",
            rest_api=self.rest_api.id,
            name="body-and-parameters",
            validate_request_body=True,
            validate_request_parameters=True,
            opts=child,
        )
        model = aws.apigateway.Model(
            f"{name}-payment-request",
            rest_api=self.rest_api.id,
            name="PaymentRequest",
            content_type="application/json",
            schema=PAYMENT_REQUEST_SCHEMA,
            opts=child,
        )
        aws.apigateway.Response(
            f"{name}-invalid-body",
            rest_api_id=self.rest_api.id,
            response_type="BAD_REQUEST_BODY",
            status_code="400",
            response_templates={"application/json": INVALID_BODY_RESPONSE},
            opts=child,
        )
        method = aws.apigateway.Method(
            f"{name}-post-payment",
            rest_api=self.rest_api.id,
            resource_id=resource.id,
            http_method="POST",
            authorization=args.authorization,
            request_validator_id=validator.id,
            request_models={"application/json": model.name},
            opts=child,
        )
        integration = aws.apigateway.Integration(
            f"{name}-post-payment-integration",
            rest_api=self.rest_api.id,
            resource_id=resource.id,
            http_method=method.http_method,
            integration_http_method="POST",
            type="AWS_PROXY",
            uri=args.function.invoke_arn,
            opts=child,
        )
        aws.lambda_.Permission(
            f"{name}-invoke-permission",
            action="lambda:InvokeFunction",
            function=args.function.name,
            principal="apigateway.amazonaws.com",
            source_arn=pulumi.Output.concat(self.rest_api.execution_arn, "/*/POST/payment"),
            opts=child,
        )
        deployment = aws.apigateway.Deployment(
            f"{name}-deployment",
            rest_api=self.rest_api.id,
            # Anything that changes what a request meets redeploys the stage.
            triggers={
                "redeployment": pulumi.Output.json_dumps(
                    [
                        resource.id,
                        method.id,
                        method.authorization,
                        method.request_validator_id,
                        model.schema,
                        integration.id,
                        integration.uri,
                    ]
                )
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=[method, integration]),
        )
        account = self._cloudwatch_account(name, args)
        access_logs = aws.cloudwatch.LogGroup(
            f"{name}-access-logs",
            name=args.names.api_access_log_group,
            retention_in_days=args.log_retention_days,
            kms_key_id=args.kms_key_arn,
            tags=tags,
            opts=child,
        )
        self.stage = aws.apigateway.Stage(
            f"{name}-stage",
            rest_api=self.rest_api.id,
            deployment=deployment.id,
            stage_name=args.names.suffix,
            xray_tracing_enabled=True,
            access_log_settings={
                "destination_arn": access_logs.arn,
                "format": ACCESS_LOG_FORMAT,
            },
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[account]),
        )
        aws.apigateway.MethodSettings(
            f"{name}-method-settings",
            rest_api=self.rest_api.id,
            stage_name=self.stage.stage_name,
            method_path="*/*",
            settings={
                "throttling_rate_limit": args.throttling_rate_limit,
                "throttling_burst_limit": args.throttling_burst_limit,
                "logging_level": "INFO",
                "data_trace_enabled": False,
                "metrics_enabled": True,
                "caching_enabled": False,
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=[account]),
        )
        aws.wafv2.WebAclAssociation(
            f"{name}-waf",
            resource_arn=self.stage.arn,
            web_acl_arn=args.web_acl_arn,
            opts=child,
        )
        self.register_outputs({"invokeUrl": self.stage.invoke_url})

    def _cloudwatch_account(self, name: str, args: PaymentApiArgs) -> aws.apigateway.Account:
        """The account-level role API Gateway needs to write execution and access logs."""
        role = aws.iam.Role(
            f"{name}-cloudwatch-role",
            name=args.names.stack_scoped("apigateway-logs"),
            assume_role_policy=assume_role_policy("apigateway.amazonaws.com", args.account_id),
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self),
        )
        restrict_to_region(f"{name}-cloudwatch-role", role, args.region, self)
        attachment = aws.iam.RolePolicyAttachment(
            f"{name}-cloudwatch-role-policy",
            role=role.name,
            policy_arn=PUSH_TO_CLOUDWATCH_POLICY,
            opts=pulumi.ResourceOptions(parent=self),
        )
        return aws.apigateway.Account(
            f"{name}-account",
            cloudwatch_role_arn=role.arn,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[attachment]),
        )
