"""Throttling: API stages rate-limited within bounds, functions with reserved concurrency."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import EnforcementLevel, Severity

from payment_policies.declare import (
    Config,
    Link,
    Resource,
    Stack,
    Verdicts,
    baseline,
    judge_each,
    resource_policy,
    stack_policy,
)
from payment_policies.kinds import FUNCTIONS, METHOD_SETTINGS, STAGES
from payment_policies.props import is_unknown, number, read


def _same_api(settings: Resource, stage: Resource) -> bool:
    shared = set(settings.property_dependencies.get("restApi", ())) & set(
        stage.property_dependencies.get("restApi", ())
    )
    api = settings.props.get("restApi")
    return bool(shared) or (
        isinstance(api, str) and not is_unknown(api) and api == stage.props.get("restApi")
    )


SETTINGS_OF = Link(METHOD_SETTINGS, "stageName", ("stageName",), within=_same_api)


def _limit_problems(settings: Resource, config: Config) -> Iterator[str]:
    for key, bound in (
        ("throttlingRateLimit", config["maxRateLimit"]),
        ("throttlingBurstLimit", config["maxBurstLimit"]),
    ):
        value = read(settings.props, f"settings.{key}")
        limit = number(value)
        if limit is None or limit <= 0:
            yield f"{key} is not set to a positive limit (seen: {value!r})"
        elif limit > bound:
            yield f"{key} {value!r} exceeds the allowed maximum {bound}"


def _stages_throttled(stack: Stack, config: Config) -> Verdicts:
    def judge(stage: Resource) -> Iterator[tuple[Resource | None, str]]:
        all_settings = stack.linked(stage, SETTINGS_OF)
        if not all_settings:
            yield stage, "stage has no method settings, so no throttling limits"
        for settings in all_settings:
            for problem in _limit_problems(settings, config):
                yield settings, problem

    return judge_each(stack.of(STAGES), judge)


apigateway_stage_throttled = stack_policy(
    name="apigateway-stage-throttled",
    description="Every API Gateway stage has method settings with rate and burst limits in bounds.",
    severity=Severity.HIGH,
    framework=baseline("throttling"),
    remediation_steps=(
        "Add aws.apigateway.MethodSettings for the stage (stage_name=stage.stage_name, "
        "method_path='*/*') with throttling_rate_limit and throttling_burst_limit within bounds."
    ),
    enforcement=EnforcementLevel.MANDATORY,
    inspects=STAGES,
    configured_by=(SETTINGS_OF,),
    check=_stages_throttled,
    config={
        "maxRateLimit": {
            "type": "number",
            "exclusiveMinimum": 0,
            "default": 10000,
            "description": "Highest steady-state requests per second a stage may allow.",
        },
        "maxBurstLimit": {
            "type": "integer",
            "minimum": 1,
            "default": 5000,
            "description": "Highest burst a stage may allow.",
        },
    },
)


def _reserved_concurrency(function: Resource, _: Config) -> Iterator[str]:
    value = read(function.props, "reservedConcurrentExecutions")
    reserved = number(value)
    if reserved is None or reserved < 1:
        yield f"function has no reserved concurrency (reservedConcurrentExecutions: {value!r})"


lambda_reserved_concurrency = resource_policy(
    name="lambda-reserved-concurrency",
    description="Every Lambda function has reserved concurrency, bounding its load downstream.",
    severity=Severity.MEDIUM,
    framework=baseline("throttling"),
    remediation_steps="Set reserved_concurrent_executions to a positive number on the function.",
    enforcement=EnforcementLevel.MANDATORY,
    applies_to=FUNCTIONS,
    check=_reserved_concurrency,
)
