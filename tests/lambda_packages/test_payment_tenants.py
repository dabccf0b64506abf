"""Callers bound to their own customers: the IAM principal API Gateway passes decides whom it may
charge, idempotency keys are scoped per caller, and a foreign customer looks like an unknown one."""

import uuid
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest

from tests.lambda_packages.payments_harness import (
    CALLER,
    CUSTOMERS_TABLE,
    KNOWN_CUSTOMER,
    OTHER_CALLER,
    Aws,
    api_event,
    invoke,
    payment_body,
    response_body,
)

PARTNER_CUSTOMER = "cust_partner"
SHARED_CUSTOMER = "cust_shared"


@pytest.fixture
def tenants(clean_aws: Aws) -> Iterator[Aws]:
    for customer, callers in (
        (PARTNER_CUSTOMER, [OTHER_CALLER]),
        (SHARED_CUSTOMER, [CALLER, OTHER_CALLER]),
    ):
        clean_aws.dynamodb.put_item(
            TableName=CUSTOMERS_TABLE,
            Item={"customerId": {"S": customer}, "callers": {"SS": callers}},
        )
    clean_aws.dynamodb.put_item(
        TableName=CUSTOMERS_TABLE, Item={"customerId": {"S": "cust_orphan"}}
    )
    yield clean_aws
    for customer in (PARTNER_CUSTOMER, SHARED_CUSTOMER, "cust_orphan"):
        clean_aws.dynamodb.delete_item(
            TableName=CUSTOMERS_TABLE, Key={"customerId": {"S": customer}}
        )


def charge(processor: ModuleType, caller: str, **body: object) -> dict[str, Any]:
    return invoke(processor, api_event(payment_body(**body), caller=caller))


def test_a_caller_charges_the_customers_that_list_it(processor: ModuleType, tenants: Aws) -> None:
    assert charge(processor, CALLER)["statusCode"] == 201
    assert charge(processor, OTHER_CALLER, customerId=PARTNER_CUSTOMER)["statusCode"] == 201
    shared = charge(
        processor, OTHER_CALLER, customerId=SHARED_CUSTOMER, idempotencyKey="order-0002"
    )
    assert shared["statusCode"] == 201
    callers = {item["caller"]["S"] for item in tenants.transactions()}
    assert callers == {CALLER, OTHER_CALLER}


@pytest.mark.parametrize("customer", [PARTNER_CUSTOMER, "cust_orphan", "cust_nobody"])
def test_a_foreign_customer_answers_exactly_as_an_unknown_one(
    processor: ModuleType, tenants: Aws, customer: str
) -> None:
    foreign = charge(processor, CALLER, customerId=customer)
    unknown = charge(processor, CALLER, customerId="cust_nobody")

    assert foreign == unknown
    assert foreign["statusCode"] == 404
    assert tenants.transactions() == []


def test_a_role_session_is_its_role(processor: ModuleType, tenants: Aws) -> None:
    session = "arn:aws:sts::123456789012:assumed-role/checkout-service/i-0abc123"

    response = charge(processor, session)

    assert response["statusCode"] == 201
    [item] = tenants.transactions()
    assert item["caller"] == {"S": CALLER}


def test_idempotency_keys_are_scoped_per_caller(processor: ModuleType, tenants: Aws) -> None:
    mine = charge(processor, CALLER, customerId=SHARED_CUSTOMER)
    theirs = charge(processor, OTHER_CALLER, customerId=SHARED_CUSTOMER, amount="999.00")

    assert (mine["statusCode"], theirs["statusCode"]) == (201, 201)
    assert "Idempotent-Replayed" not in theirs["headers"]
    assert response_body(mine)["transactionId"] != response_body(theirs)["transactionId"]
    assert len(tenants.transactions()) == 2


def test_another_callers_key_is_neither_claimed_nor_revealed(
    processor: ModuleType, tenants: Aws
) -> None:
    """Reusing a key someone else holds neither conflicts (409) nor replays their answer."""
    charge(processor, OTHER_CALLER, customerId=PARTNER_CUSTOMER)

    probe = charge(processor, CALLER, customerId=PARTNER_CUSTOMER)

    assert probe["statusCode"] == 404
    assert len(tenants.transactions()) == 1


def test_transaction_ids_reveal_nothing_without_the_key(
    processor: ModuleType, tenants: Aws
) -> None:
    """Keyed HMAC: the same caller and key give the same id, but it is not a UUIDv5 of the key."""
    transaction_id = response_body(charge(processor, CALLER))["transactionId"]
    key = str(payment_body()["idempotencyKey"])

    assert transaction_id == response_body(charge(processor, CALLER))["transactionId"]
    assert all(
        transaction_id != str(uuid.uuid5(namespace, key))
        for namespace in (uuid.NAMESPACE_DNS, uuid.NAMESPACE_URL, uuid.NAMESPACE_OID)
    )
    assert KNOWN_CUSTOMER not in transaction_id
