"""Personal fields through the real write side: the embedded event store holds them sealed, the app reads them back."""
from __future__ import annotations

import json
from decimal import Decimal
from uuid import uuid4

import pytest

from eventlog.pii import ERASED, keyring
from eventlog.pii.models import SubjectKey
from eventlog.store import EventStore
from orders.domain.addresses import ShippingAddress
from orders.domain.commands import CancelOrder
from orders.domain.order import Order
from orders.domain.values import Actor
from orders.handlers import dispatch
from orders.models import Product
from orders.repository import AggregateRepository
from tests.factories import place


@pytest.fixture
def mug(unique) -> str:
    return Product.objects.create(sku=f"MUG-{unique}".upper(), name="Mug", unit_price=Decimal("12.50")).sku


def test_an_order_is_stored_without_its_personal_data_in_clear_and_reads_back_whole(app_store: EventStore, mug,
                                                                                      unique, db):
    marker = f"Mk{unique}"
    customer = f"pii-{unique}"
    address = ShippingAddress(recipient_name=f"Ada {marker}", line1=f"1 {marker} Road", city="London",
                              postal_code="N1 9GU", country="GB", phone="+44 20 7946 0000")
    order_id = place(customer, (mug, 1), shipping_address=address, contact_email=f"{marker}@example.com")
    dispatch(CancelOrder(order_id, reason=f"moving to {marker}"), actor=Actor.customer(customer))

    raw = app_store.read_stream(Order.stream_name(order_id), decode=False)
    order = AggregateRepository(app_store).load(Order, order_id, use_cache=False).aggregate

    assert [event.event_type for event in raw] == ["OrderCreated", "OrderCancelled"]
    assert marker not in json.dumps([event.data for event in raw])
    assert raw[0].data["shipping_address"]["country"] == "GB" and raw[0].data["total"] == "12.50"
    assert (order.shipping_address, order.contact_email) == (address, f"{marker}@example.com")
    assert order.cancellation_reason == f"moving to {marker}"
    row = SubjectKey.objects.get(subject=customer)
    assert row.wrapped_key and row.erased_at is None and bytes(row.wrapped_key).find(marker.encode()) == -1


def test_after_the_key_is_destroyed_the_order_reads_as_erased_and_its_books_are_whole(app_store: EventStore, mug,
                                                                                     unique, db):
    customer = f"pii-{unique}"
    order_id = place(customer, (mug, 2))

    assert keyring().destroy(customer) is True
    order = AggregateRepository(app_store).load(Order, order_id, use_cache=False).aggregate

    assert order.contact_email == ERASED and order.shipping_address.recipient_name == ERASED
    assert order.shipping_address.country == "GB" and order.total == Decimal("25.00")
    assert SubjectKey.objects.get(subject=customer).wrapped_key is None  # a tombstone row
    other = place(f"pii-other-{uuid4().hex[:6]}", (mug, 1))  # other customers are untouched
    assert AggregateRepository(app_store).load(Order, other, use_cache=False).aggregate.contact_email != ERASED
