"""The card-number rule: what counts, however it is written, and what does not."""

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from payments_core.card_numbers import (
    card_number_across,
    contains_card_number,
    luhn_valid,
    split_card_number,
)

from tests.lambda_packages.card_data import card_numbers, encode, written


@pytest.mark.parametrize(
    "number", ["4111111111111111", "5500000000000004", "340000000000009", "6011000000000004"]
)
def test_luhn_accepts_known_test_card_numbers(number: str) -> None:
    assert luhn_valid(number)


@pytest.mark.parametrize(
    "text",
    [
        "4111111111111111",
        "card 4111 1111 1111 1111 exp",
        "pan:4111111111111111, thanks",
        "4111 1111 1111 1111 12/27",
        "ref 12 4111111111111111",
        "94111111111111111",  # a digit glued in front hides nothing
        "378282246310005",
        "4111.1111.1111.1111",
        "4111/1111/1111/1111",
        "4111_1111_1111_1111",
        "tok_4111_1111_1111_1111",
        "4111,1111,1111,1111",
        "4111\u20131111\u20141111\u22121111",
        "4111\u00a01111\u202f1111\u30001111",
        "4\u200b1\u200c1\u200d1\u2060111111111111\ufeff",
        "\uff14\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11",
        "\u0664\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661",
        "\u096a\u0967\u0967\u0967 \u0967\u0967\u0967\u0967 "
        "\u0967\u0967\u0967\u0967 \u0967\u0967\u0967\u0967",
        "4111%201111%201111%201111",
        "%34%31%31%31%31%31%31%31%31%31%31%31%31%31%31%31",
        base64.b64encode(b"4111 1111 1111 1111").decode(),
        "note:" + base64.urlsafe_b64encode(b"4111-1111-1111-1111").decode().rstrip("="),
        "abc" + b"4111111111111111".hex(),
        base64.b64encode(b"4111%201111%201111%201111").decode(),  # two layers
    ],
)
def test_card_numbers_are_found_however_written(text: str) -> None:
    assert contains_card_number(text)


@pytest.mark.parametrize(
    "text",
    [
        "41111111111",  # 11 digits
        "0000 0000 0000 0000",  # no brand starts with 0
        "7000000000000009",  # nor with 7
        "4111x1111x1111x1111",  # letters end a run
        "order-7f3a9c21",
        "Invoice 2026-118",
        "550e8400-e29b-41d4-a716-44665544",
        "tok_9fK2xLq81Zt",
        "2026-12-02T06:19:38.000+00:00",
    ],
)
def test_what_is_not_a_card_number(text: str) -> None:
    assert not contains_card_number(text)


def test_a_number_split_between_consecutive_texts_is_found() -> None:
    assert card_number_across(["order 4111 11", "11 1111", "1111 thanks"])
    assert not card_number_across(["order 4111 11", "x", "11 1111 1111"])


def test_a_number_split_between_the_ends_of_two_texts_is_found_in_either_order() -> None:
    assert split_card_number(["1111 1111 x", "abc", "x 4111 1111"])
    assert not split_card_number(["x 1111 1111 x", "x 4111 1111 x"])


@settings(max_examples=1000, deadline=None, derandomize=True)
@given(data=st.data())
def test_every_brand_and_length_is_found_in_any_script_separator_and_encoding(
    data: st.DataObject,
) -> None:
    text = data.draw(card_numbers().flatmap(written))
    before, after = data.draw(st.sampled_from([("", ""), ("ref ", " thanks"), ("x:", "")]))

    assert contains_card_number(before + text + after)


def test_every_encoding_is_exercised() -> None:
    assert {encode("4111", name) for name in ("percent", "base64", "hex")} == {
        "%34%31%31%31",
        "NDExMQ==",
        "34313131",
    }
