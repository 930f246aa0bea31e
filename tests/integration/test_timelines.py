"""Timelines: each event with the state after it, field-level diffs, windows and words for people."""
from __future__ import annotations

from decimal import Decimal
from uuid import uuid4

import pytest

from eventlog.timeline import FieldChange, diff
from orders.domain.commands import (
    ConfirmOrder,
    CreateOrder,
    PayOrder,
    ReceiveStock,
    RequestedLine,
    ShipOrder,
)
from orders.domain.values import Actor
from orders.handlers import dispatch
from orders.models import Product
from orders.timelines import describe, order_timeline, stream_timeline

pytestmark = pytest.mark.django_db(transaction=True)
SYSTEM = Actor("system", "tests")


@pytest.fixture
def shipped_order(unique):
    sku = f"TL-{unique}".upper()
    Product.objects.create(sku=sku, name="Lamp", unit_price=Decimal("20.00"))
    order_id, customer = uuid4(), Actor.customer("11")
    dispatch(CreateOrder(order_id=order_id, customer_id="11", lines=(RequestedLine(sku=sku, quantity=2),)),
             actor=customer)
    dispatch(ConfirmOrder(order_id=order_id), actor=SYSTEM)
    dispatch(PayOrder(order_id=order_id, amount=Decimal("40.00"), payment_reference="psp-9"), actor=customer)
    dispatch(ShipOrder(order_id=order_id, carrier="DHL", tracking_number="JD0001"), actor=Actor.staff("1"))
    return order_id


def test_each_event_comes_with_the_state_after_it_and_what_changed(shipped_order):
    timeline = order_timeline(shipped_order)

    assert [e.version for e in timeline.entries] == [0, 1, 2, 3]
    assert [e.state["status"] for e in timeline.entries] == ["PENDING", "CONFIRMED", "PAID", "SHIPPED"]
    assert FieldChange("status", "PENDING", "CONFIRMED") in timeline.entries[1].changes
    assert {c.path for c in timeline.entries[3].changes} == {"status", "carrier", "tracking_number"}
    assert timeline.last_version == 3 and timeline.state["total"] == "40.00"


def test_a_window_starts_from_the_state_as_of_the_version_before_it(shipped_order):
    window = order_timeline(shipped_order, from_version=2, limit=1)

    [entry] = window.entries
    assert entry.version == 2
    assert entry.changes == (FieldChange("amount_paid", None, "40.00"), FieldChange("payment_reference", None, "psp-9"),
                             FieldChange("status", "CONFIRMED", "PAID"))
    assert window.last_version == 3


def test_as_of_version_stops_at_that_version(shipped_order):
    timeline = order_timeline(shipped_order, to_version=1)
    assert timeline.state["status"] == "CONFIRMED" and len(timeline.entries) == 2


def test_events_are_described_in_words(shipped_order):
    words = [describe(e.event) for e in order_timeline(shipped_order).entries]
    assert words == ["Order placed: 2 items, 40.00 EUR", "Confirmed: all items reserved",
                     "Payment received: 40.00 (reference psp-9)", "Shipped with DHL, tracking JD0001"]


def test_inventory_timelines_work_the_same_way(unique):
    sku = f"TLI-{unique}".upper()
    dispatch(ReceiveStock(sku=sku, quantity=4), actor=Actor.staff("1"))
    timeline = stream_timeline(f"inventory-{sku}")
    assert timeline.kind == "inventory" and timeline.entries[0].state["on_hand"] == 4


@pytest.mark.parametrize("stream", ["order-" + str(uuid4()), "nonsense-1", "order-", "inventory-NOPE-404"])
def test_unknown_aggregates_have_no_timeline(stream):
    assert stream_timeline(stream) is None


def test_diff_descends_into_nested_fields():
    before = {"lines": [{"sku": "A", "quantity": 1}], "status": "PENDING"}
    after = {"lines": [{"sku": "A", "quantity": 3}], "status": "PENDING", "note": "x"}
    assert diff(before, after) == [FieldChange("lines.0.quantity", 1, 3), FieldChange("note", None, "x")]
