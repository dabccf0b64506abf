"""Card numbers (PANs) anywhere in a request: rejected, never echoed, logged or written."""

import json
from collections.abc import Callable
from types import ModuleType

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from payments_core.card_numbers import contains_card_number
from payments_core.validation import CARD_NUMBER_PROBLEM

from tests.lambda_packages.payments_harness import (
    SURROUNDING_TEXT,
    Aws,
    api_event,
    captured_logs,
    card_numbers,
    invoke,
    load_function,
    pan_digits,
    payment_body,
    response_body,
)

CARD_NUMBER_SETTINGS = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

# Where a card number can hide, and the field the problem is reported for.
PLACEMENTS: dict[str, Callable[[str], dict[str, object]]] = {
    "idempotencyKey": lambda text: payment_body(idempotencyKey=text),
    "customerId": lambda text: payment_body(customerId=text),
    "amount": lambda text: payment_body(amount=text),
    "currency": lambda text: payment_body(currency=text),
    "paymentMethodToken": lambda text: payment_body(paymentMethodToken=text),
    "description": lambda text: payment_body(description=text),
    "note": lambda text: payment_body(note=text),
    "metadata": lambda text: payment_body(metadata={"lines": [{"text": text}]}),
}


def embedded(field: str) -> st.SearchStrategy[tuple[str, dict[str, object]]]:
    """A card number, and a request carrying it (with text around it) in `field`."""
    return st.tuples(card_numbers(), SURROUNDING_TEXT, SURROUNDING_TEXT).map(
        lambda parts: (parts[0], PLACEMENTS[field](parts[1] + parts[0] + parts[2]))
    )


def assert_not_revealed(card_number: str, text: str) -> None:
    assert card_number not in text
    assert pan_digits(card_number) not in text


@given(number=card_numbers())
def test_generated_card_numbers_are_detected(number: str) -> None:
    assert contains_card_number(number)


@pytest.mark.parametrize("field", sorted(PLACEMENTS))
@CARD_NUMBER_SETTINGS
@given(data=st.data())
def test_processor_rejects_card_number_in_any_field_and_writes_nothing(
    processor: ModuleType, aws: Aws, field: str, data: st.DataObject
) -> None:
    card_number, body = data.draw(embedded(field))
    before = aws.snapshot()

    with captured_logs() as logs:
        response = invoke(processor, api_event(body))

    assert response["statusCode"] == 400
    assert {"field": field, "message": CARD_NUMBER_PROBLEM} in response_body(response)["problems"]
    assert aws.snapshot() == before
    assert_not_revealed(card_number, response["body"])
    assert_not_revealed(card_number, logs.text)


@pytest.mark.parametrize("field", sorted(PLACEMENTS))
@CARD_NUMBER_SETTINGS
@given(data=st.data())
def test_validator_rejects_card_number_in_any_field(
    validator: ModuleType, field: str, data: st.DataObject
) -> None:
    card_number, body = data.draw(embedded(field))

    with captured_logs() as logs:
        verdict = invoke(validator, body)

    assert verdict["valid"] is False
    assert {"field": field, "message": CARD_NUMBER_PROBLEM} in verdict["problems"]
    assert_not_revealed(card_number, json.dumps(verdict))
    assert_not_revealed(card_number, logs.text)


def test_card_number_sent_as_a_json_number_is_rejected(processor: ModuleType, aws: Aws) -> None:
    body = json.dumps(payment_body()).replace('"125.50"', "4111111111111111")

    response = invoke(processor, api_event(None, raw=body))

    assert response_body(response)["problems"] == [
        {"field": "amount", "message": CARD_NUMBER_PROBLEM}
    ]
    assert aws.snapshot() == aws.pristine


def test_event_stays_out_of_the_logs_even_when_powertools_is_told_to_log_it(aws: Aws) -> None:
    processor = load_function(
        "payment_processor", {**aws.environment, "POWERTOOLS_LOGGER_LOG_EVENT": "true"}
    )
    body = payment_body(description="card 4111 1111 1111 1111")

    with captured_logs() as logs:
        invoke(processor, api_event(body))

    assert logs.records()
    assert_not_revealed("4111 1111 1111 1111", logs.text)
    assert "tok_9fK2xLq81Zt" not in logs.text
