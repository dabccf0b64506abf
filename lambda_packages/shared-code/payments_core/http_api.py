"""API Gateway (REST, Lambda proxy) requests in, JSON responses out.

Nothing a caller sent is echoed: not its body, headers, query or path. The only request value a
response carries is API Gateway's request id, and only when it has the form API Gateway gives it.
"""

import base64
import binascii
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent

from payments_core.card_numbers import contains_card_number
from payments_core.documents import DocumentRejected, parse_json
from payments_core.validation import Problem

JSON_MEDIA_TYPE = "application/json"

_REQUEST_ID = re.compile(r"[A-Za-z0-9-]{1,64}")
# An IAM user or role, or a session of an assumed role (the role is the caller, not the session).
_CALLER_ARN = re.compile(
    r"arn:(?P<partition>aws[a-z-]{0,16}):(?:iam::[0-9]{12}:(?:user|role)/[\w+=,.@/-]{1,512}"
    r"|sts::(?P<account>[0-9]{12}):assumed-role/(?P<role>[\w+=,.@-]{1,64})/[\w+=,.@-]{2,64})"
)


class RequestRejected(Exception):
    """The request cannot be processed as sent; `status` is the HTTP status to answer with."""

    def __init__(
        self,
        status: int,
        error: str,
        message: str,
        *,
        problems: Sequence[Problem] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message
        self.problems = tuple(problems)
        self.headers = dict(headers or {})


def require_route(event: Mapping[str, Any], method: str, resource: str) -> None:
    """RequestRejected (404, 405) unless API Gateway invoked the function for this route."""
    if event.get("resource") != resource:
        raise RequestRejected(404, "not_found", "no such resource")
    if event.get("httpMethod") != method:
        raise RequestRejected(
            405, "method_not_allowed", f"only {method} is allowed", headers={"Allow": method}
        )


def caller_principal(event: Mapping[str, Any]) -> str:
    """The IAM principal that signed the request, as API Gateway (AWS_IAM) passes it: a user's
    ARN, or a role's (`arn:aws:iam::<account>:role/<name>`, without a path) for a session of an
    assumed role. RequestRejected (403) if there is none."""
    context = event.get("requestContext")
    identity = context.get("identity") if isinstance(context, Mapping) else None
    arn = identity.get("userArn") if isinstance(identity, Mapping) else None
    if not isinstance(arn, str) or not (match := _CALLER_ARN.fullmatch(arn)):
        raise RequestRejected(
            403, "caller_not_identified", "the request must be signed by an IAM principal"
        )
    if match["role"] is None:
        return arn
    return f"arn:{match['partition']}:iam::{match['account']}:role/{match['role']}"


def read_json_body(event: Mapping[str, Any], max_body_bytes: int) -> object:
    """The strictly read JSON body of a proxy event; RequestRejected (415, 413, 400) if it has
    none."""
    proxy_event = APIGatewayProxyEvent(dict(event))
    _require_json_content_type(proxy_event.headers.get("content-type"))
    body = _body_bytes(proxy_event, max_body_bytes)
    try:
        return parse_json(body, max_body_bytes)
    except DocumentRejected as rejected:
        raise RequestRejected(400, "invalid_request", rejected.message) from None


def request_id(event: object, lambda_request_id: str) -> str:
    """API Gateway's id for the request (what the caller can quote), else the invocation's."""
    context = event.get("requestContext") if isinstance(event, Mapping) else None
    gateway_id = context.get("requestId") if isinstance(context, Mapping) else None
    if (
        isinstance(gateway_id, str)
        and _REQUEST_ID.fullmatch(gateway_id)
        and not contains_card_number(gateway_id)
    ):
        return gateway_id
    return lambda_request_id


def json_response(
    status: int, body: Mapping[str, object], headers: Mapping[str, str] | None = None
) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {
            "Content-Type": JSON_MEDIA_TYPE,
            "Cache-Control": "no-store",
            **(headers or {}),
        },
        "body": json.dumps(body, separators=(",", ":")),
    }


def error_response(
    status: int,
    error: str,
    message: str,
    request_id: str,
    *,
    problems: Sequence[Problem] = (),
    headers: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    body: dict[str, object] = {"error": error, "message": message, "requestId": request_id}
    if problems:
        body["problems"] = [problem.as_dict() for problem in problems]
    return json_response(status, body, headers)


def rejection_response(rejected: RequestRejected, request_id: str) -> dict[str, Any]:
    return error_response(
        rejected.status,
        rejected.error,
        rejected.message,
        request_id,
        problems=rejected.problems,
        headers=rejected.headers,
    )


def _require_json_content_type(content_type: str | None) -> None:
    media_type, _, parameters = (content_type or "").partition(";")
    charset = dict(_parameter(text) for text in parameters.split(";") if "=" in text).get(
        "charset", "utf-8"
    )
    if media_type.strip().lower() != JSON_MEDIA_TYPE or charset.lower() != "utf-8":
        raise RequestRejected(
            415, "unsupported_media_type", f"the body must be sent as {JSON_MEDIA_TYPE} (UTF-8)"
        )


def _parameter(text: str) -> tuple[str, str]:
    name, _, value = text.partition("=")
    return name.strip().lower(), value.strip().strip('"')


def _body_bytes(event: APIGatewayProxyEvent, max_body_bytes: int) -> bytes:
    body = event.body or ""
    if event.is_base64_encoded:
        try:
            raw = base64.b64decode(body, validate=True)
        except binascii.Error as error:
            raise RequestRejected(400, "invalid_json", "the body is not valid base64") from error
    else:
        raw = body.encode("utf-8")
    if len(raw) > max_body_bytes:
        raise RequestRejected(
            413, "payload_too_large", f"the body must be at most {max_body_bytes} bytes"
        )
    return raw
