"""The API's edge: authorization, request validation, WAF, access logs, no request bodies in
logs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import yaml
from pulumi_policy import EnforcementLevel, Severity

from payment_policies.declare import (
    Config,
    Link,
    Resource,
    Stack,
    Verdicts,
    judge_each,
    pci,
    resource_policy,
    stack_policy,
)
from payment_policies.identity import as_list
from payment_policies.kinds import (
    API_METHODS,
    API_RESOURCES,
    AUTHORIZED_SURFACES,
    DOMAIN_NAMES,
    FUNCTION_URLS,
    METHOD_SETTINGS,
    REQUEST_VALIDATORS,
    REST_APIS,
    STAGES,
    WAF_ASSOCIATIONS,
)
from payment_policies.props import block, is_set, is_true, is_unknown, known, read

MAX_PATH_DEPTH = 64


def resource_path(method: Resource, stack: Stack) -> str | None:
    """The method's path, walked up through `parentId` dependencies; None when it cannot be told."""
    api_resources = {r.urn: r for r in stack.of(API_RESOURCES)}
    apis = {r.urn for r in stack.of(REST_APIS)}
    parts: list[str] = []
    refs = method.property_dependencies.get("resourceId", ())
    for _ in range(MAX_PATH_DEPTH):
        node = next((api_resources[urn] for urn in refs if urn in api_resources), None)
        if node is None:
            return "/" + "/".join(reversed(parts)) if apis.intersection(refs) else None
        part = node.props.get("pathPart")
        if not isinstance(part, str) or is_unknown(part):
            return None
        parts.append(part)
        refs = node.property_dependencies.get("parentId", ())
    return None


def _is_public(http_method: object, path: str | None, public_paths: list[str]) -> bool:
    for entry in public_paths:
        verb, _, allowed = entry.rpartition(" ")
        if allowed == path and verb.upper() in ("", "ANY", "*", str(http_method).upper()):
            return True
    return False


OPERATIONS = ("get", "put", "post", "delete", "options", "head", "patch")
ANY_METHOD = "x-amazon-apigateway-any-method"


class UnreadableBodyError(Exception):
    """A body nobody can read declares who knows which methods: a violation, never a pass."""


def openapi_document(api: Resource) -> dict[str, Any] | None:
    """The REST API's OpenAPI `body` (JSON or YAML), None when it has none. Unknown during
    preview, a body built from other resources' outputs raises; one that depends on nothing was
    not given (the provider's own computed value)."""
    body = api.props.get("body")
    if is_unknown(body) and not api.property_dependencies.get("body"):
        return None
    body = known(body, "body")
    if not is_set(body):
        return None
    if isinstance(body, dict):
        return body
    try:
        document = json.loads(body) if isinstance(body, str) else None
    except ValueError:
        try:
            document = yaml.safe_load(body)
        except yaml.YAMLError:
            document = None
    if not isinstance(document, dict):
        raise UnreadableBodyError(f"body is not an OpenAPI document (seen: {str(body)[:80]!r})")
    return document


def _requires_authorization(requirements: Any, schemes: dict[str, Any]) -> bool:
    """Whether an OpenAPI `security` value asks for a caller's identity: some requirement names
    a scheme that is not a bare API key (an API key identifies a client, never authorizes it)."""
    for requirement in as_list(requirements):
        if not isinstance(requirement, dict):
            continue
        for name in requirement:
            scheme = block(schemes.get(name))
            if scheme.get("type") != "apiKey" or scheme.get("x-amazon-apigateway-authtype"):
                return True
    return False


def _unauthorized_operations(document: dict[str, Any]) -> Iterator[tuple[str, str]]:
    schemes = block(block(document.get("components")).get("securitySchemes")) or block(
        document.get("securityDefinitions")
    )
    default = document.get("security")
    for path, item in block(document.get("paths")).items():
        for verb, operation in block(item).items():
            if verb.lower() not in (*OPERATIONS, ANY_METHOD) or not isinstance(operation, dict):
                continue
            iam = block(operation.get("x-amazon-apigateway-auth")).get("type")
            if isinstance(iam, str) and iam.upper() not in ("", "NONE"):
                continue
            security = operation.get("security", default)
            if not _requires_authorization(security, schemes):
                yield ("ANY" if verb == ANY_METHOD else verb.upper()), str(path)


def _methods_authorized(stack: Stack, config: Config) -> Verdicts:
    def judge(subject: Resource) -> Iterator[tuple[Resource | None, str]]:
        if subject.type in REST_APIS:
            try:
                document = openapi_document(subject)
            except UnreadableBodyError as error:
                yield subject, str(error)
                return
            for verb, declared in _unauthorized_operations(document or {}):
                if not _is_public(verb, declared, config["publicPaths"]):
                    yield (
                        subject,
                        f"OpenAPI body declares {verb} {declared} without authorization "
                        f"and it is not an allowed public path {config['publicPaths']}",
                    )
            return
        authorization = read(subject.props, "authorization")
        if not isinstance(authorization, str) or not authorization:
            # API Gateway requires it; a method without one is judged, not taken for NONE.
            yield subject, f"method names no authorization (authorization: {authorization!r})"
            return
        if authorization.upper() != "NONE":
            return
        http_method = subject.props.get("httpMethod")
        path = resource_path(subject, stack)
        if not _is_public(http_method, path, config["publicPaths"]):
            yield (
                subject,
                (
                    f"method {http_method} {path or '<path unknown>'} has authorization NONE "
                    f"and is not an allowed public path {config['publicPaths']}"
                ),
            )

    return judge_each(stack.of(AUTHORIZED_SURFACES), judge)


apigateway_method_authorization = stack_policy(
    name="apigateway-method-authorization",
    description=(
        "API Gateway methods, declared as resources or in the API's OpenAPI body, require "
        "authorization unless their path is declared public."
    ),
    severity=Severity.CRITICAL,
    framework=pci("7.2.1"),
    remediation_steps=(
        "Set authorization='AWS_IAM' (or a Cognito/custom authorizer) on the method, or list "
        "'<METHOD> <path>' in this policy's publicPaths if it must be public."
    ),
    enforcement=EnforcementLevel.MANDATORY,
    inspects=AUTHORIZED_SURFACES,
    reads=(API_RESOURCES,),
    check=_methods_authorized,
    config={
        "publicPaths": {
            "type": "array",
            "items": {"type": "string", "pattern": "^([A-Za-z*]+ )?/"},
            "default": [],
            "description": "Paths allowed without authorization, as '<METHOD> /path' or '/path'.",
        }
    },
)


def _no_data_trace(settings: Resource, _: Config) -> Iterator[str]:
    trace = read(settings.props, "settings.dataTraceEnabled")
    if is_true(trace):
        yield f"method settings log full requests and responses (dataTraceEnabled: {trace!r})"


apigateway_no_data_trace = resource_policy(
    name="apigateway-no-data-trace",
    description="API Gateway never logs request and response bodies, which carry card data.",
    severity=Severity.HIGH,
    framework=pci("3.3.1"),
    remediation_steps="Set settings.data_trace_enabled=False on the aws.apigateway.MethodSettings.",
    enforcement=EnforcementLevel.MANDATORY,
    applies_to=METHOD_SETTINGS,
    check=_no_data_trace,
)


def access_log_problem(stage: Resource) -> str | None:
    """Why a REST or HTTP API stage does not write access logs, or None when it does."""
    settings = block(known(stage.props.get("accessLogSettings"), "accessLogSettings"))
    missing = [key for key in ("destinationArn", "format") if not is_set(settings.get(key))]
    if missing:
        return f"stage access logging lacks {missing} (accessLogSettings: {settings or None!r})"
    return None


def _access_logged(stage: Resource, _: Config) -> Iterator[str]:
    if problem := access_log_problem(stage):
        yield problem


apigateway_access_logging = resource_policy(
    name="apigateway-stage-access-logging",
    description="API Gateway stages write access logs to a log group.",
    severity=Severity.MEDIUM,
    framework=pci("10.2.1"),
    remediation_steps=(
        "Set access_log_settings={'destination_arn': log_group.arn, 'format': <JSON format>} "
        "on the aws.apigateway.Stage."
    ),
    enforcement=EnforcementLevel.MANDATORY,
    applies_to=STAGES,
    check=_access_logged,
)


_ASSOCIATION_OF = Link(WAF_ASSOCIATIONS, "resourceArn", ("arn",))


def _stages_behind_waf(stack: Stack, _: Config) -> Iterator[tuple[Resource | None, str]]:
    for stage in stack.of(STAGES):
        associations = stack.linked(stage, _ASSOCIATION_OF)
        if not associations:
            yield stage, "stage is associated with no WAF web ACL"
        for association in associations:
            if not is_set(association.props.get("webAclArn")):
                yield association, "WAF association names no web ACL (webAclArn not set)"


apigateway_stage_waf = stack_policy(
    name="apigateway-stage-waf",
    description="Every API Gateway REST stage is protected by a WAF web ACL.",
    severity=Severity.HIGH,
    framework=pci("6.4.2"),
    remediation_steps=(
        "Add an aws.wafv2.WebAclAssociation with resource_arn=stage.arn and the stack's "
        "regional web ACL."
    ),
    enforcement=EnforcementLevel.MANDATORY,
    inspects=STAGES,
    reads=(WAF_ASSOCIATIONS,),
    check=_stages_behind_waf,
)


# Methods whose requests carry a body API Gateway can validate.
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "ANY"})


def _uses(method: Resource, validator: Resource) -> bool:
    if method.depends_through("requestValidatorId", validator):
        return True
    chosen, own = method.props.get("requestValidatorId"), validator.props.get("id")
    return isinstance(chosen, str) and not is_unknown(chosen) and chosen == own


def _bodies_validated(stack: Stack, _: Config) -> Verdicts:
    validators = stack.of(REQUEST_VALIDATORS)

    def judge(method: Resource) -> Iterator[tuple[Resource | None, str]]:
        http_method = read(method.props, "httpMethod")
        if not isinstance(http_method, str) or http_method.upper() not in BODY_METHODS:
            return
        where = f"method {http_method} {resource_path(method, stack) or '<path unknown>'}"
        used = [validator for validator in validators if _uses(method, validator)]
        if not used:
            chosen = read(method.props, "requestValidatorId")
            yield (
                method,
                (
                    f"{where} has no request validator of this stack: its body reaches the "
                    f"integration unchecked (requestValidatorId: {chosen!r})"
                ),
            )
        for validator in used:
            if not is_true(read(validator.props, "validateRequestBody")):
                body = validator.props.get("validateRequestBody")
                yield (
                    method,
                    (
                        f"{where} uses a request validator that does not check the body "
                        f"(validateRequestBody: {body!r})"
                    ),
                )

    return judge_each(stack.of(API_METHODS), judge)


apigateway_request_validation = stack_policy(
    name="apigateway-request-validation",
    description="API Gateway methods that take a body validate it before it reaches the backend.",
    severity=Severity.MEDIUM,
    framework=pci("6.4.2"),
    remediation_steps=(
        "Create an aws.apigateway.RequestValidator with validate_request_body=True and set "
        "request_validator_id (and a request model) on the method."
    ),
    enforcement=EnforcementLevel.MANDATORY,
    inspects=API_METHODS,
    reads=(REQUEST_VALIDATORS,),
    check=_bodies_validated,
)


def _url_authorized(url: Resource, _: Config) -> Iterator[str]:
    authorization = read(url.props, "authorizationType")
    if not isinstance(authorization, str) or authorization.upper() != "AWS_IAM":
        yield (
            "function URL lets anyone on the internet invoke the function "
            f"(authorizationType: {authorization!r})"
        )


lambda_function_url_authorized = resource_policy(
    name="lambda-function-url-authorized",
    description="Lambda function URLs require IAM authorization.",
    severity=Severity.CRITICAL,
    framework=pci("7.2.1"),
    remediation_steps="Set authorization_type='AWS_IAM' on the aws.lambda_.FunctionUrl.",
    enforcement=EnforcementLevel.MANDATORY,
    applies_to=FUNCTION_URLS,
    check=_url_authorized,
)


def _cache_encrypted(settings: Resource, _: Config) -> Iterator[str]:
    caching = read(settings.props, "settings.cachingEnabled")
    if not is_true(caching):
        return
    encrypted = read(settings.props, "settings.cacheDataEncrypted")
    if not is_true(encrypted):
        yield f"method settings cache responses unencrypted (cacheDataEncrypted: {encrypted!r})"


apigateway_cache_encrypted = resource_policy(
    name="apigateway-cache-encrypted",
    description="API Gateway response caches are encrypted when caching is on.",
    severity=Severity.MEDIUM,
    framework=pci("3.5.1"),
    remediation_steps=(
        "Set settings.cache_data_encrypted=True on the aws.apigateway.MethodSettings that "
        "enable caching."
    ),
    enforcement=EnforcementLevel.MANDATORY,
    applies_to=METHOD_SETTINGS,
    check=_cache_encrypted,
)


def _endpoint_type(api: Resource, config: Config) -> Iterator[str]:
    declared = read(api.props, "endpointConfiguration.types")
    types = [] if declared is None else [str(t).upper() for t in as_list(declared)]
    allowed = config["allowedEndpointTypes"]
    if not types:
        yield f"REST API is edge-optimized (no endpointConfiguration types; allowed: {allowed})"
    elif not set(types) <= set(allowed):
        yield f"REST API endpoint type {types} is not one of {allowed}"


apigateway_endpoint_type = resource_policy(
    name="apigateway-endpoint-type",
    description="API Gateway REST APIs are regional or private, in the region that holds the data.",
    severity=Severity.MEDIUM,
    framework=pci("1.4.4"),
    remediation_steps=(
        "Set endpoint_configuration={'types': 'REGIONAL'} (or 'PRIVATE') on the "
        "aws.apigateway.RestApi."
    ),
    enforcement=EnforcementLevel.MANDATORY,
    applies_to=REST_APIS,
    check=_endpoint_type,
    config={
        "allowedEndpointTypes": {
            "type": "array",
            "items": {"enum": ["REGIONAL", "PRIVATE", "EDGE"]},
            "default": ["REGIONAL", "PRIVATE"],
            "description": "Endpoint types a REST API may have.",
        }
    },
)

TLS_1_2_POLICIES = frozenset({"TLS_1_2"})


def _domain_tls(domain: Resource, _: Config) -> Iterator[str]:
    policy = read(domain.props, "securityPolicy")
    if not isinstance(policy, str) or not (
        policy.upper() in TLS_1_2_POLICIES or policy.upper().startswith("SECURITYPOLICY_TLS13")
    ):
        yield f"custom domain accepts TLS older than 1.2 (securityPolicy: {policy!r})"


apigateway_domain_tls = resource_policy(
    name="apigateway-domain-tls",
    description="API Gateway custom domains accept TLS 1.2 or newer only.",
    severity=Severity.HIGH,
    framework=pci("4.2.1"),
    remediation_steps=(
        "Set security_policy='TLS_1_2' (or a SecurityPolicy_TLS13_* policy) on the "
        "aws.apigateway.DomainName."
    ),
    enforcement=EnforcementLevel.MANDATORY,
    applies_to=DOMAIN_NAMES,
    check=_domain_tls,
)
