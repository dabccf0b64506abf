"""Card numbers planted anywhere a caller can put text, against both functions as deployed (their
zips, unpacked and cold-started as Lambda does): each is refused naming the card-number rule, and
nothing card-like is in any response, log line, table item or receipt version afterwards."""

import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lambda_packages.packaging import build_package
from tests.lambda_packages.card_data import card_numbers, reveals, written
from tests.lambda_packages.payments_harness import (
    Aws,
    api_event,
    captured_logs,
    function_environment,
    invoke,
    load_unzipped_function,
    payment_body,
    unzip,
)

CASES = settings(
    max_examples=1000,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
CARD_NUMBER_MESSAGES = {
    "must not contain a card number; send a payment method token instead",
    "must not contain a card number split across fields",
}
FIELDS = ("idempotencyKey", "customerId", "amount", "currency", "paymentMethodToken", "description")
SPLIT_FIELDS = ("idempotencyKey", "customerId", "paymentMethodToken", "description")
BODY_PLACES = (*FIELDS, "unknown field", "field name", "nested", "split")
REQUEST_PLACES = ("header", "header name", "query")
AROUND = ("", "ref ", "Order: ", "x")


@pytest.fixture(scope="module")
def unzipped(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("zips")
    return {
        package: unzip(build_package(package, folder / "built"), folder / package)
        for package in ("payment_processor", "payment_validator")
    }


@pytest.fixture(scope="module")
def zipped_processor(aws: Aws, unzipped: dict[str, Path]) -> ModuleType:
    function = load_unzipped_function(unzipped["payment_processor"], aws.environment)
    assert Path(function.validate_payment.__code__.co_filename).is_relative_to(
        unzipped["payment_processor"]
    )
    return function


@pytest.fixture(scope="module")
def zipped_validator(unzipped: dict[str, Path]) -> ModuleType:
    return load_unzipped_function(
        unzipped["payment_validator"], function_environment("unused-by-validator")
    )


@st.composite
def planted_body(draw: st.DrawFn, place: str, digits: str) -> dict[str, Any]:
    body: dict[str, Any] = payment_body()
    text = draw(st.sampled_from(AROUND)) + draw(written(digits))
    match place:
        case "unknown field":
            body["note"] = text
        case "field name":
            body[text] = "x"
        case "nested":
            body["metadata"] = {"lines": [{"text": text}]}
        case "split":
            first, second = draw(st.permutations(SPLIT_FIELDS))[:2]
            cut = draw(st.integers(min_value=1, max_value=len(digits) - 1))
            # Each part on its own: after a letter and before one (digits glued to a part belong
            # to it), a letter no encoding uses (an encoded part glued to others is another text).
            body[first] = f"{body[first]}-\u00e9{draw(written(digits[:cut]))}"
            body[second] = f"{draw(written(digits[cut:]))}\u00e9-{body[second]}"
        case field:
            body[field] = text
    return body


@st.composite
def planted_event(draw: st.DrawFn, place: str, digits: str) -> dict[str, Any]:
    if place in BODY_PLACES:
        return api_event(draw(planted_body(place, digits)))
    event = api_event(payment_body(idempotencyKey=f"order-{draw(st.uuids()).hex[:12]}"))
    text = draw(written(digits))
    match place:
        case "header":
            event["headers"]["X-Order-Note"] = text
        case "header name":
            event["headers"][text] = "1"
        case "query":
            event["queryStringParameters"] = {"note": text}
            event["multiValueQueryStringParameters"] = {"note": [text]}
    event["multiValueHeaders"] = {name: [value] for name, value in event["headers"].items()}
    return event


def refused_for_card_data(problems: list[dict[str, str]]) -> bool:
    return any(problem["message"] in CARD_NUMBER_MESSAGES for problem in problems)


@CASES
@given(data=st.data())
def test_processor_never_accepts_stores_logs_or_echoes_a_card_number(
    zipped_processor: ModuleType, aws: Aws, data: st.DataObject
) -> None:
    digits = data.draw(card_numbers(), label="card number")
    place = data.draw(st.sampled_from(BODY_PLACES + REQUEST_PLACES), label="place")
    event = data.draw(planted_event(place, digits))

    with captured_logs() as logs:
        response = invoke(zipped_processor, event)

    body = json.loads(response["body"])
    if place in BODY_PLACES:
        assert response["statusCode"] == 400
        assert refused_for_card_data(body["problems"]), body
    else:
        # The function reads neither headers it does not know nor the query: the payment goes on.
        assert response["statusCode"] == 201
    for text in (json.dumps(response, ensure_ascii=False), logs.text, *aws.written_texts()):
        assert not reveals(digits, text)
    if place not in BODY_PLACES:
        aws.clear()


@CASES
@given(data=st.data())
def test_validator_never_accepts_logs_or_echoes_a_card_number(
    zipped_validator: ModuleType, data: st.DataObject
) -> None:
    digits = data.draw(card_numbers(), label="card number")
    place = data.draw(st.sampled_from(BODY_PLACES), label="place")
    request = data.draw(planted_body(place, digits))

    with captured_logs() as logs:
        verdict = invoke(zipped_validator, request)

    assert verdict["valid"] is False
    assert refused_for_card_data(verdict["problems"]), verdict
    for text in (json.dumps(verdict, ensure_ascii=False), logs.text):
        assert not reveals(digits, text)
