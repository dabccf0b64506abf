"""Live checks of the request path: Lambda functions and API Gateway stages (and their WAF)."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

from compliance.live.registry import NOT_DECLARED, Context, Verdict, check, declared_at, passes
from compliance.model.graph import GraphResource
from compliance.model.tokens import v7_token

FUNCTION = "aws:lambda/function:Function"
STAGE = "aws:apigateway/stage:Stage"
METHOD_SETTINGS = "aws:apigateway/methodSettings:MethodSettings"
EVERY_METHOD = "*/*"


def _function(context: Context, function: GraphResource) -> dict[str, Any]:
    return context.shared("lambda", "get_function_configuration", FunctionName=function.id)


@check(FUNCTION, "lambda-tracing-active")
def function_traced(context: Context, function: GraphResource) -> Iterator[Verdict]:
    mode = _function(context, function).get("TracingConfig", {}).get("Mode", "PassThrough")
    yield passes(
        mode == "Active",
        "TracingConfig.Mode",
        mode,
        "X-Ray tracing is not active",
        declared_at(function, "tracingConfig.mode"),
    )


@check(FUNCTION, "lambda-runtime-supported")
def function_runtime_supported(context: Context, function: GraphResource) -> Iterator[Verdict]:
    runtime = _function(context, function).get("Runtime")
    dates = context.config("lambda-runtime-supported").get("deprecationDates", {})
    ends = dates.get(runtime) if isinstance(runtime, str) else None
    today = datetime.datetime.now(datetime.UTC).date().isoformat()
    yield passes(
        isinstance(ends, str) and ends > today,
        "Runtime",
        runtime,
        f"the runtime's security patches end(ed) on {ends}"
        if ends
        else "the runtime has no known end of support date",
        declared_at(function, "runtime"),
    )


@check(FUNCTION, "lambda-environment-encrypted")
def function_environment_encrypted(context: Context, function: GraphResource) -> Iterator[Verdict]:
    configuration = _function(context, function)
    variables = configuration.get("Environment", {}).get("Variables", {})
    key = configuration.get("KMSKeyArn")
    yield passes(
        not variables or context.is_stack_key(key),
        "KMSKeyArn",
        key,
        f"{len(variables)} environment variable(s) not encrypted with the stack's key",
        declared_at(function, "kmsKeyArn"),
    )


@check(FUNCTION, "lambda-reserved-concurrency")
def function_concurrency_reserved(context: Context, function: GraphResource) -> Iterator[Verdict]:
    answer = context.account.call("lambda", "get_function_concurrency", FunctionName=function.id)
    reserved = (answer or {}).get("ReservedConcurrentExecutions")
    yield passes(
        isinstance(reserved, int) and reserved > 0,
        "ReservedConcurrentExecutions",
        reserved,
        "no concurrency is reserved",
        declared_at(function, "reservedConcurrentExecutions"),
    )


def _stage(context: Context, stage: GraphResource) -> dict[str, Any]:
    return context.shared(
        "apigateway",
        "get_stage",
        restApiId=str(stage.state.get("restApi")),
        stageName=str(stage.state.get("stageName")),
    )


def _declared_settings(context: Context, stage: GraphResource) -> GraphResource | None:
    for resource in context.graph:
        state = resource.state
        if (
            v7_token(resource.type) == METHOD_SETTINGS
            and state.get("restApi") == stage.state.get("restApi")
            and state.get("stageName") == stage.state.get("stageName")
            and state.get("methodPath") == EVERY_METHOD
        ):
            return resource
    return None


@check(STAGE, "apigateway-stage-xray-enabled")
def stage_traced(context: Context, stage: GraphResource) -> Iterator[Verdict]:
    enabled = _stage(context, stage).get("tracingEnabled", False)
    yield passes(
        enabled is True,
        "tracingEnabled",
        enabled,
        "X-Ray tracing is off",
        declared_at(stage, "xrayTracingEnabled"),
    )


@check(STAGE, "apigateway-stage-access-logging")
def stage_logs_access(context: Context, stage: GraphResource) -> Iterator[Verdict]:
    destination = _stage(context, stage).get("accessLogSettings", {}).get("destinationArn")
    yield passes(
        bool(destination),
        "accessLogSettings.destinationArn",
        destination,
        "access logging is off",
        declared_at(stage, "accessLogSettings.destinationArn"),
    )


@check(STAGE, "apigateway-stage-throttled")
def stage_throttled(context: Context, stage: GraphResource) -> Iterator[Verdict]:
    config = context.config("apigateway-stage-throttled")
    settings = _stage(context, stage).get("methodSettings", {}).get(EVERY_METHOD, {})
    declared = _declared_settings(context, stage)
    for live_name, declared_name, bound_name in (
        ("throttlingRateLimit", "settings.throttlingRateLimit", "maxRateLimit"),
        ("throttlingBurstLimit", "settings.throttlingBurstLimit", "maxBurstLimit"),
    ):
        value, bound = settings.get(live_name), config.get(bound_name)
        within = isinstance(value, int | float) and value > 0
        within = within and (bound is None or value <= bound)
        yield passes(
            within,
            f"methodSettings.{EVERY_METHOD}.{live_name}",
            value,
            f"every method is not throttled within (0, {bound}]",
            declared_at(declared, declared_name),
        )


@check(STAGE, "apigateway-no-data-trace")
def stage_traces_no_data(context: Context, stage: GraphResource) -> Iterator[Verdict]:
    settings = _stage(context, stage).get("methodSettings", {})
    tracing = sorted(path for path, s in settings.items() if s.get("dataTraceEnabled"))
    declared = _declared_settings(context, stage)
    yield passes(
        not tracing,
        "methodSettings.*.dataTraceEnabled",
        tracing,
        "full request and response logging (data trace) is on",
        [] if declared_at(declared, "settings.dataTraceEnabled") is False else NOT_DECLARED,
    )


@check(STAGE, "apigateway-stage-waf")
def stage_behind_the_waf(context: Context, stage: GraphResource) -> Iterator[Verdict]:
    arn = (
        f"arn:aws:apigateway:{context.account.region}::/restapis/"
        f"{stage.state.get('restApi')}/stages/{stage.state.get('stageName')}"
    )
    answer = context.account.call("wafv2", "get_web_acl_for_resource", ResourceArn=arn) or {}
    acl = answer.get("WebACL", {}).get("ARN")
    stack_acls = {
        r.state.get("arn") for r in context.graph if v7_token(r.type) == "aws:wafv2/webAcl:WebAcl"
    }
    yield passes(
        acl in stack_acls,
        "WebACL.ARN",
        acl,
        "the stage is not associated with the stack's web ACL",
    )
