"""Crafted input: each is a clean 4xx that names no request text, writes nothing, and never
a 500 or a stack trace, on both functions."""

import json
from types import ModuleType
from typing import Any

import pytest
from payments_core.documents import MAX_DEPTH

from tests.lambda_packages.payments_harness import (
    Aws,
    CapturedLogs,
    api_event,
    invoke,
    payment_body,
    response_body,
)

VALID = json.dumps(payment_body())
FIELDS_RAW = VALID[1:-1]


def nested_raw(depth: int) -> str:
    return VALID[:-1] + ', "metadata": ' + "[" * depth + '"deep"' + "]" * depth + "}"


def nested(depth: int) -> object:
    value: object = "deep"
    for _ in range(depth):
        value = [value]
    return value


def assert_clean_refusal(response: dict[str, Any], status: int, error: str) -> None:
    assert response["statusCode"] == status
    body = response_body(response)
    assert body["error"] == error
    assert "Traceback" not in response["body"]
    assert set(body) <= {"error", "message", "requestId", "problems"}


CONTROL = "strings must not contain control characters (U+0000-U+001F, U+007F-U+009F)"
TOO_DEEP = f"the body must not nest deeper than {MAX_DEPTH} levels"
UNREADABLE = {
    "repeated key": ('{"amount": "1.00", ' + FIELDS_RAW + "}", "an object must not repeat a key"),
    "NaN": (VALID[:-1] + ', "note": NaN}', "numbers must be finite (no NaN or Infinity)"),
    "-Infinity": (
        VALID[:-1] + ', "note": -Infinity}',
        "numbers must be finite (no NaN or Infinity)",
    ),
    "lone surrogate": (
        json.dumps(payment_body(description="x\ud800y")),
        "strings must be valid Unicode (no lone surrogates)",
    ),
    "C0 tab": (json.dumps(payment_body(description="tab\there")), CONTROL),
    "C1 NEL": (json.dumps(payment_body(description="c1\u0085here")), CONTROL),
    "C1 CSI": (json.dumps(payment_body(description="csi\u009b31m")), CONTROL),
    "one level too deep": (nested_raw(MAX_DEPTH), TOO_DEEP),
    "990 deep": (nested_raw(990), TOO_DEEP),
    "past the recursion limit": ("[" * 4000 + "]" * 4000, TOO_DEEP),
}


@pytest.mark.parametrize("case", sorted(UNREADABLE))
def test_processor_refuses_what_it_cannot_read_strictly(
    processor: ModuleType, clean_aws: Aws, case: str
) -> None:
    raw, message = UNREADABLE[case]

    response = invoke(processor, api_event(None, raw=raw))

    assert_clean_refusal(response, 400, "invalid_request")
    assert response_body(response)["message"] == message
    assert clean_aws.snapshot() == clean_aws.pristine


def test_duplicate_key_cannot_swap_the_amount(processor: ModuleType, clean_aws: Aws) -> None:
    raw = VALID[:-1] + ', "amount": "9999.00"}'

    assert invoke(processor, api_event(None, raw=raw))["statusCode"] == 400
    assert clean_aws.transactions() == []


@pytest.mark.parametrize(
    ("route", "status", "error"),
    [
        (("GET", "/payment"), 405, "method_not_allowed"),
        (("PUT", "/payment"), 405, "method_not_allowed"),
        (("POST", "/payments/{id}"), 404, "not_found"),
        (("POST", "/"), 404, "not_found"),
    ],
)
def test_processor_answers_only_the_route_it_serves(
    processor: ModuleType, clean_aws: Aws, route: tuple[str, str], status: int, error: str
) -> None:
    event = api_event(payment_body())
    event["httpMethod"], event["resource"] = route

    response = invoke(processor, event)

    assert_clean_refusal(response, status, error)
    if status == 405:
        assert response["headers"]["Allow"] == "POST"
    assert clean_aws.snapshot() == clean_aws.pristine


def test_body_larger_than_the_limit_is_refused_before_any_scan(
    processor: ModuleType, clean_aws: Aws, function_logs: CapturedLogs
) -> None:
    """100 KB of "1 1 1 ...": once seconds of scanning, now refused by its size."""
    response = invoke(processor, api_event(payment_body(description="1 " * 50_000)))

    assert_clean_refusal(response, 413, "payload_too_large")
    assert clean_aws.snapshot() == clean_aws.pristine
    assert "1 1 1" not in function_logs.text


@pytest.mark.parametrize(
    "identity",
    [
        None,
        {},
        {"userArn": None},
        {"userArn": ""},
        {"userArn": "arn:aws:iam::123456789012:root-ish"},
        {"userArn": "4111 1111 1111 1111"},
    ],
)
def test_unsigned_or_unidentified_caller_is_forbidden(
    processor: ModuleType, clean_aws: Aws, identity: object
) -> None:
    event = api_event(payment_body())
    event["requestContext"]["identity"] = identity

    response = invoke(processor, event)

    assert_clean_refusal(response, 403, "caller_not_identified")
    assert "4111" not in response["body"]
    assert clean_aws.snapshot() == clean_aws.pristine


@pytest.mark.parametrize("request_id", ["4111111111111111", "x" * 65, "id with spaces", ""])
def test_a_request_id_not_shaped_like_api_gateways_is_not_echoed(
    processor: ModuleType, clean_aws: Aws, function_logs: CapturedLogs, request_id: str
) -> None:
    response = invoke(processor, api_event(payment_body(amount="0"), request_id=request_id))

    assert response_body(response)["requestId"] == "lambda-request-0001"
    assert all(
        record["correlation_id"] == "lambda-request-0001" for record in function_logs.records()
    )


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (
            {**payment_body(), "metadata": nested(990)},
            f"the body must not nest deeper than {MAX_DEPTH} levels",
        ),
        (payment_body(description="x\ud800"), "strings must be valid Unicode (no lone surrogates)"),
        (
            payment_body(description="c1\u0085"),
            "strings must not contain control characters (U+0000-U+001F, U+007F-U+009F)",
        ),
        ({**payment_body(), "note": float("nan")}, "numbers must be finite"),
        (payment_body(description="1 " * 200_000), "the body must be at most 8192 bytes"),
    ],
)
def test_validator_refuses_the_same_input_as_a_verdict(
    validator: ModuleType, document: object, message: str
) -> None:
    verdict = invoke(validator, document)

    assert verdict == {"valid": False, "problems": [{"field": "$", "message": message}]}
