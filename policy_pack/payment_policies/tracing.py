"""End-to-end X-Ray tracing of every request path."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import EnforcementLevel, Severity

from payment_policies.declare import Config, Resource, baseline, resource_policy
from payment_policies.kinds import FUNCTIONS, STAGES
from payment_policies.props import is_on, read


def _function_traced(function: Resource, _: Config) -> Iterator[str]:
    mode = read(function.props, "tracingConfig.mode")
    if mode != "Active":
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
    if not is_on(stage.props, "xrayTracingEnabled"):
        enabled = stage.props.get("xrayTracingEnabled")
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
