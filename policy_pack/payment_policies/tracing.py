"""End-to-end X-Ray tracing of every request path."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import EnforcementLevel, Severity

from payment_policies.declare import Config, Resource, baseline, resource_policy
from payment_policies.kinds import FUNCTIONS, STAGES
from payment_policies.props import block, is_off, is_unknown


def _function_traced(function: Resource, _: Config) -> Iterator[str]:
    mode = block(function.props.get("tracingConfig")).get("mode")
    if not is_unknown(mode) and mode != "Active":
        yield f"function tracing is not Active (tracingConfig.mode: {mode!r})"


lambda_tracing = resource_policy(
    name="lambda-tracing-active",
    description="Lambda functions send X-Ray traces (tracing mode Active).",
    severity=Severity.MEDIUM,
    framework=baseline("tracing"),
    remediation_steps="Set tracing_config={'mode': 'Active'} on the aws.lambda_.Function.",
    enforcement=EnforcementLevel.MANDATORY,
    applies_to=FUNCTIONS,
    check=_function_traced,
)


def _stage_traced(stage: Resource, _: Config) -> Iterator[str]:
    enabled = stage.props.get("xrayTracingEnabled")
    if is_off(enabled):
        yield f"stage does not trace requests with X-Ray (xrayTracingEnabled: {enabled!r})"


apigateway_tracing = resource_policy(
    name="apigateway-stage-xray-enabled",
    description="API Gateway stages trace requests with X-Ray.",
    severity=Severity.MEDIUM,
    framework=baseline("tracing"),
    remediation_steps="Set xray_tracing_enabled=True on the aws.apigateway.Stage.",
    enforcement=EnforcementLevel.MANDATORY,
    applies_to=STAGES,
    check=_stage_traced,
)

POLICIES = [lambda_tracing, apigateway_tracing]
