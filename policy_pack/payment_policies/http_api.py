"""API Gateway v2 (HTTP and WebSocket APIs): routes authorized, stages logged and throttled."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import EnforcementLevel, Severity

from payment_policies.api import access_log_problem
from payment_policies.declare import Config, Resource, pci, resource_policy
from payment_policies.kinds import V2_APIS, V2_ROUTES_AND_APIS, V2_STAGES
from payment_policies.props import is_set, number, read


def _route_authorized(resource: Resource, config: Config) -> Iterator[str]:
    if resource.type in V2_APIS:
        if is_set(resource.props.get("target")):
            yield (
                "API is quick-created with a target: its $default route takes every request "
                "without authorization"
            )
        return
    authorization = read(resource.props, "authorizationType")
    route = read(resource.props, "routeKey")
    if (authorization is None or str(authorization).upper() == "NONE") and (
        route not in config["publicRoutes"]
    ):
        yield (
            f"route {route!r} has authorization {authorization or 'NONE'} and is not an allowed "
            f"public route {config['publicRoutes']}"
        )


apigatewayv2_route_authorization = resource_policy(
    name="apigatewayv2-route-authorization",
    description="API Gateway v2 routes require authorization unless allow-listed; no quick-create.",
    severity=Severity.CRITICAL,
    framework=pci("7.2.1"),
    remediation_steps=(
        "Set authorization_type ('AWS_IAM', 'JWT' or 'CUSTOM') on the aws.apigatewayv2.Route, "
        "or list its route key in publicRoutes; declare routes instead of an Api target."
    ),
    enforcement=EnforcementLevel.MANDATORY,
    applies_to=V2_ROUTES_AND_APIS,
    check=_route_authorized,
    config={
        "publicRoutes": {
            "type": "array",
            "items": {"type": "string"},
            "default": [],
            "description": "Route keys allowed without authorization, e.g. 'GET /health'.",
        }
    },
)


def _stage_logged_and_throttled(stage: Resource, _: Config) -> Iterator[str]:
    if problem := access_log_problem(stage):
        yield problem
    for limit in ("throttlingRateLimit", "throttlingBurstLimit"):
        value = read(stage.props, f"defaultRouteSettings.{limit}")
        if (number(value) or 0) <= 0:
            yield f"stage's default route is not throttled ({limit}: {value!r})"


apigatewayv2_stage_logging_throttling = resource_policy(
    name="apigatewayv2-stage-logging-throttling",
    description="API Gateway v2 stages write access logs and throttle their default route.",
    severity=Severity.MEDIUM,
    framework=pci("10.2.1"),
    remediation_steps=(
        "Set access_log_settings (destination_arn, format) and default_route_settings "
        "(throttling_rate_limit, throttling_burst_limit) on the aws.apigatewayv2.Stage."
    ),
    enforcement=EnforcementLevel.MANDATORY,
    applies_to=V2_STAGES,
    check=_stage_logged_and_throttled,
)
