"""The customer timeline read model shows exactly what orders/visibility.py shows a customer of the same events.

Given an order's events in the (in-memory) store, the projection's document, read back through its
window, equals `customer_view` of the timeline read from the store: every window, with staff notes,
a staff cancellation and an event of a type this code does not know in the stream; applying the
events again, or rebuilding from scratch, gives the same document.
"""
from __future__ import annotations

from decimal import Decimal
from uuid import UUID, uuid4

import pytest

from eventlog import codec
from eventlog.envelope import EventMetadata, NewEvent, RecordedEvent
from eventlog.memory_writer import DictReadModelWriter
from eventlog.registry import registry as default_registry
from orders.domain.events import DomainEvent, OrderCancelled, OrderNoteAdded
from orders.domain.order import Order
from orders.timelines import stream_timeline
from orders.visibility import customer_view
from projections.customer_timeline import CustomerTimelineProjection, timeline_key, window
from tests.unit.builders import CUSTOMER_ID, ORDER_ID, STAFF, history

NOTE = "VIP - call the customer before delivery"
STREAM = Order.stream_name(ORDER_ID)
META = EventMetadata(correlation_id=uuid4(), causation_id=None, actor="staff:7")


def _new(event: DomainEvent) -> NewEvent:
    event_type, data = default_registry.encode(event, subject=CUSTOMER_ID)
    return NewEvent(uuid4(), event_type.name, event_type.schema_version, data, META)


def _unknown() -> NewEvent:
    return NewEvent(uuid4(), "OrderGiftWrapped", 1, codec.to_json({"paper": "gold", "by": "staff 7"}), META)


def _story(store, *, unknown: bool = True) -> None:
    """Paid, annotated twice, a mystery event, then cancelled by staff (refunded)."""
    events = [_new(e) for e in history("PAID")]
    events.insert(1, _new(OrderNoteAdded(ORDER_ID, NOTE, "7")))
    if unknown:
        events.insert(3, _unknown())
    events += [_new(OrderNoteAdded(ORDER_ID, "refund approved", "7")),
               _new(OrderCancelled(ORDER_ID, "carrier lost it", STAFF, Decimal("18.25")))]
    store.append(STREAM, events, expected_version=-1)


def _project(store, writer: DictReadModelWriter | None = None) -> DictReadModelWriter:
    """Feed the projection as the runner does: every order event in $all order, unknown types skipped."""
    writer = writer or DictReadModelWriter(name="customer_timeline")
    projection = CustomerTimelineProjection()
    for raw in store.read_all(stream_prefixes=("order-",), decode=False):
        if default_registry.knows(raw.event_type):
            [event] = [e for e in store.read_stream(raw.stream_name, from_version=raw.stream_position, limit=1)]
            assert isinstance(event, RecordedEvent)
            projection.handle(event, writer)
    return writer


@pytest.mark.parametrize("unknown", [True, False], ids=["with-an-unknown-event", "known-events-only"])
def test_every_window_equals_what_visibility_shows_a_customer(store, unknown):
    _story(store, unknown=unknown)
    doc = _project(store).get_doc(timeline_key(ORDER_ID))
    last = store.stream_version(STREAM)

    windows = [(0, None, 100), (0, None, 2), (2, None, 3), (1, 3, 100), (0, 0, 100), (3, 4, 1), (last, None, 5)]
    for from_version, to_version, limit in windows:
        expected = customer_view(stream_timeline(STREAM, from_version=from_version, to_version=to_version,
                                                 limit=limit, store=store))
        found = window(doc, from_version=from_version, to_version=to_version, limit=limit)
        assert found is not None and found.customer_id == CUSTOMER_ID
        assert found.timeline == expected, (from_version, to_version, limit)
    assert window(doc, from_version=last + 1) is None


def test_the_newest_window_is_the_pages_window(store):
    _story(store)
    doc = _project(store).get_doc(timeline_key(ORDER_ID))
    last = store.stream_version(STREAM)
    expected = customer_view(stream_timeline(STREAM, from_version=last - 2, limit=3, store=store))
    assert window(doc, limit=3).timeline == expected


def test_what_a_customer_must_not_see_is_nowhere_in_the_read_model(store):
    _story(store)
    writer = _project(store)
    stored = " ".join(writer.docs.values())
    assert NOTE not in stored and "refund approved" not in stored and "gold" not in stored
    steps = window(writer.get_doc(timeline_key(ORDER_ID))).timeline
    assert [e.event_type for e in steps.entries] == ["OrderCreated", "OrderConfirmed", "OrderPaid", "OrderCancelled"]
    assert steps.entries[-1].description == "Cancelled by our team: carrier lost it; 18.25 refunded"
    assert steps.state["cancelled_by"] == {"kind": "staff"} and "notes" not in steps.state
    assert all(entry.metadata is None for entry in steps.entries)


def test_applying_the_events_again_or_rebuilding_gives_the_same_read_model(store):
    _story(store)
    once = _project(store)
    again = _project(store, writer=once)
    assert again.docs == _project(store).docs  # the same events twice; a rebuild into a fresh generation


def test_orders_are_kept_apart(store):
    _story(store)
    other = UUID(int=7)
    store.append(Order.stream_name(other), [_new(e) for e in history("CONFIRMED", other)], expected_version=-1)
    doc = _project(store).get_doc(timeline_key(other))
    assert window(doc).timeline == customer_view(stream_timeline(Order.stream_name(other), store=store))
