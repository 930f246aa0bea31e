"""Shipping addresses and contact emails: the rules per field, upcasting old orders, correcting an address."""
from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from uuid import uuid4

import pytest

import orders.event_types  # noqa: F401 - registers the events and the upcaster
from eventlog.envelope import EventMetadata, RecordedEvent
from eventlog.registry import registry
from eventlog.timeline import build_timeline
from orders.domain.addresses import ShippingAddress, checked_address, checked_email
from orders.domain.commands import CorrectShippingAddress, CreateOrder, RequestedLine
from orders.domain.countries import COUNTRY_CODES
from orders.domain.errors import CommandValidationError, InvalidTransitionError, PermissionDeniedError
from orders.domain.events import OrderCreated, ShippingAddressCorrected
from orders.domain.order import Order
from orders.timelines import Timeline
from orders.visibility import customer_view, staff_view
from tests.unit.builders import (
    ADDRESS,
    CUSTOMER,
    CUSTOMER_ID,
    NEW_ADDRESS,
    ORDER_ID,
    STAFF,
    SYSTEM,
    created,
    history,
)
from tests.unit.gwt import given


@pytest.mark.parametrize(("field", "value", "message"), [
    ("recipient_name", "", "must not be empty"),
    ("recipient_name", "x" * 201, "at most 200"),
    ("line1", "   ", "must not be empty"),
    ("line1", "Main St\u202e1", "U\\+202E"),  # a bidi override
    ("line2", "Flat\u200b3", "U\\+200B"),  # zero width space in an optional field
    ("city", "Ber\nlin", "line breaks"),
    ("city", 42, "must be text"),
    ("postal_code", "", "must not be empty"),
    ("postal_code", "12#45", "letters, digits"),
    ("postal_code", "1" * 21, "at most 20"),
    ("country", "XX", "not an ISO 3166-1 country code"),
    ("country", "DEU", "at most 2"),
    ("country", "", "must not be empty"),
    ("phone", "call me", "must be a phone number"),
    ("phone", "+1", "must be a phone number"),
])
def test_each_bad_address_field_is_named(field: str, value: object, message: str) -> None:
    with pytest.raises(CommandValidationError, match=message) as raised:
        checked_address(replace(ADDRESS, **{field: value}))
    assert raised.value.field == f"shipping_address.{field}"


def test_an_address_is_trimmed_and_its_country_upper_cased() -> None:
    address = checked_address(ShippingAddress(" Ada ", "1 Road ", "Paris", " 75001", "fr", line2="  ", phone=""))
    assert address == ShippingAddress("Ada", "1 Road", "Paris", "75001", "FR")


@pytest.mark.parametrize("email", ["", "ada", "ada@", "ada@example", "a da@example.com", "a@b@c.de",
                                   "ada@example.com\u0000", "x" * 250 + "@example.com"])
def test_a_bad_contact_email_is_refused(email: str) -> None:
    with pytest.raises(CommandValidationError) as raised:
        checked_email(email)
    assert raised.value.field == "contact_email"


def test_create_order_checks_its_address_and_email() -> None:
    lines = (RequestedLine("MUG-1", 1),)
    with pytest.raises(CommandValidationError, match="shipping_address.country"):
        CreateOrder(ORDER_ID, CUSTOMER_ID, lines, shipping_address=replace(ADDRESS, country="ZZ"))
    with pytest.raises(CommandValidationError, match="contact_email"):
        CreateOrder(ORDER_ID, CUSTOMER_ID, lines, shipping_address=ADDRESS, contact_email="nobody")


def test_the_domain_knows_the_same_countries_as_the_checkout() -> None:
    from django_countries.data import COUNTRIES

    assert frozenset(COUNTRIES) == COUNTRY_CODES


def test_an_order_created_before_addresses_loads_with_no_address() -> None:
    v1 = {"order_id": str(ORDER_ID), "customer_id": "42", "lines": [], "total": "0.00", "currency": "EUR"}
    event = registry.decode(json.dumps(v1).encode(), event_type="OrderCreated", schema_version=1,
                            stream_name=f"order-{ORDER_ID}", stream_position=0)
    assert isinstance(event, OrderCreated)
    assert (event.shipping_address, event.contact_email) == (None, None)
    assert Order.replay(ORDER_ID, (event,)).shipping_address is None
    assert registry.upcaster_versions("OrderCreated") == (1,)


@pytest.mark.parametrize("status", ["PENDING", "CONFIRMED", "PAID"])
def test_staff_correct_the_address_before_shipping(status: str) -> None:
    order = given(Order, ORDER_ID, *history(status)).when(
        CorrectShippingAddress(ORDER_ID, NEW_ADDRESS, "customer phoned"), actor=STAFF
    ).then(ShippingAddressCorrected(ORDER_ID, NEW_ADDRESS, STAFF, "customer phoned"))
    assert order.shipping_address == NEW_ADDRESS
    assert order.contact_email == "ada@example.com"  # the correction is about the address only


@pytest.mark.parametrize("status", ["SHIPPED", "DELIVERED"])
def test_a_shipped_order_keeps_its_address(status: str) -> None:
    given(Order, ORDER_ID, *history(status)).when(
        CorrectShippingAddress(ORDER_ID, NEW_ADDRESS, "too late"), actor=STAFF
    ).then_raises(InvalidTransitionError, "its shipping address can no longer be corrected")


@pytest.mark.parametrize("actor", [CUSTOMER, SYSTEM], ids=str)
def test_only_staff_correct_an_address(actor: object) -> None:
    given(Order, ORDER_ID, created()).when(
        CorrectShippingAddress(ORDER_ID, NEW_ADDRESS, "please"), actor=actor
    ).then_raises(PermissionDeniedError, "not allowed to correct the address of an order")


def test_a_correction_needs_a_reason_and_a_valid_address() -> None:
    with pytest.raises(CommandValidationError, match="reason"):
        CorrectShippingAddress(ORDER_ID, NEW_ADDRESS, " ")
    with pytest.raises(CommandValidationError, match="shipping_address.city"):
        CorrectShippingAddress(ORDER_ID, replace(NEW_ADDRESS, city=""), "moved")


def test_customers_see_that_the_address_was_corrected_but_not_why_nor_by_whom() -> None:
    events = [RecordedEvent(event_id=uuid4(), event_type=type(e).__name__, schema_version=e.SCHEMA_VERSION,
                            stream_name=f"order-{ORDER_ID}", aggregate_id=str(ORDER_ID), stream_position=position,
                            commit_position=100 + position, recorded_at=datetime(2026, 3, 1, tzinfo=UTC), data=e,
                            metadata=EventMetadata(correlation_id=uuid4(), causation_id=None, actor="staff:7"))
              for position, e in enumerate(
                  (created(), ShippingAddressCorrected(ORDER_ID, NEW_ADDRESS, STAFF, "internal: fraud check")))]
    timeline = Timeline(f"order-{ORDER_ID}", "order", str(ORDER_ID),
                        tuple(build_timeline(Order(ORDER_ID), events)), 1)
    mine = customer_view(timeline).entries[-1]
    assert "reason" not in mine.data and mine.data["corrected_by"] == {"kind": "staff"}
    assert "fraud" not in mine.description and "14 Example Street" in mine.description
    theirs = staff_view(timeline).entries[-1]
    assert theirs.data["reason"] == "internal: fraud check"
    assert "fraud check" in theirs.description
