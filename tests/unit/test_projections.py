"""Each projection's event -> read-model writes, over the dict-backed writer; no Redis.

Given events (as the store would deliver them), when projected, then the read model. Every
projection also gets the same events twice and must end with the same read model.
"""
from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from uuid import UUID, uuid5

import pytest

from eventlog.envelope import EventMetadata, RecordedEvent
from eventlog.memory_writer import DictReadModelWriter
from orders.domain.events import (
    OrderCancelled,
    OrderConfirmed,
    OrderCreated,
    OrderNoteAdded,
    OrderPaid,
    OrderShipped,
    StockAdjusted,
    StockReceived,
    StockReleased,
    StockReserved,
    StockShipped,
)
from orders.domain.values import Actor
from projections.inventory import InventoryProjection
from projections.orders import OrderSummaryProjection, Tracking, load_summary
from projections.sales import SalesProjection
from tests.unit.builders import CUSTOMER, LINES, ORDER_ID, OTHER_ORDER_ID, TOTAL, created

DAY_1 = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
DAY_2 = datetime(2026, 3, 2, 0, 30, tzinfo=UTC)
META = EventMetadata(correlation_id=UUID(int=1), causation_id=None, actor="customer:42")


class Log:
    """Events as the store would record them: positions per stream and in $all."""

    def __init__(self) -> None:
        self.versions: dict[str, int] = {}
        self.position = 100

    def __call__(self, stream: str, event, at: datetime = DAY_1) -> RecordedEvent:
        version = self.versions[stream] = self.versions.get(stream, -1) + 1
        self.position += 10
        return RecordedEvent(event_id=uuid5(UUID(int=2), f"{stream}/{version}"), event_type=type(event).__name__,
                             schema_version=1, stream_name=stream, aggregate_id=stream.partition("-")[2],
                             stream_position=version, commit_position=self.position, recorded_at=at, data=event,
                             metadata=META)


def project(projection, events) -> DictReadModelWriter:
    writer = DictReadModelWriter(name=projection.spec.name)
    for event in events:
        projection.handle(event, writer)
    return writer


def twice(projection, events) -> DictReadModelWriter:
    """Project the events, then all of them again; the read model must not change the second time."""
    writer = project(projection, events)
    first = writer.state()
    for event in events:
        projection.handle(event, writer)
    assert writer.state() == first, "projecting the same events again changed the read model"
    return writer


ORDER = f"order-{ORDER_ID}"
OTHER = f"order-{OTHER_ORDER_ID}"


def test_order_summary_follows_the_order_and_its_status_indexes():
    log = Log()
    events = [log(ORDER, created()), log(ORDER, OrderConfirmed(ORDER_ID)),
              log(ORDER, OrderPaid(ORDER_ID, TOTAL, "pay-1")), log(ORDER, OrderNoteAdded(ORDER_ID, "fragile", "7")),
              log(ORDER, OrderShipped(ORDER_ID, "DHL", "T-1"), at=DAY_2)]

    state = twice(OrderSummaryProjection(), events).state()

    doc = state["docs"][f"order:{ORDER_ID}"]
    assert (doc["status"], doc["total"], doc["amount_paid"], doc["tracking"], doc["note_count"]) == (
        "SHIPPED", "18.25", "18.25", {"carrier": "DHL", "number": "T-1"}, 1)
    assert (doc["version"], doc["created_position"], doc["last_position"]) == (4, 110, 150)
    assert doc["shipped_at"] == "2026-03-02T00:30:00Z" and doc["created_at"] == "2026-03-01T23:30:00Z"
    summary = load_summary(doc)  # the codec reads back exactly what it wrote
    assert (summary.shipped_at, summary.created_at, summary.amount_paid) == (DAY_2, DAY_1, Decimal("18.25"))
    assert summary.tracking == Tracking("DHL", "T-1") and summary.lines[0].unit_price == Decimal("7.50")
    assert doc["lines"][0] == {"sku": "MUG-1", "name": "Mug", "quantity": 2, "unit_price": "7.50"}
    member = [[str(ORDER_ID), 110.0]]
    assert state["zsets"] == {"idx:all": member, "idx:customer:42": member, "idx:status:SHIPPED": member}


def test_order_summary_skips_events_without_their_creation():
    log = Log()
    writer = project(OrderSummaryProjection(), [log(ORDER, OrderConfirmed(ORDER_ID))])
    assert writer.state() == DictReadModelWriter().state()


def test_order_summary_records_a_cancellation_with_its_refund():
    log = Log()
    cancelled = OrderCancelled(ORDER_ID, "changed my mind", CUSTOMER, Decimal("18.25"))
    events = [log(ORDER, created()), log(ORDER, OrderConfirmed(ORDER_ID)), log(ORDER, OrderPaid(ORDER_ID, TOTAL, "p")),
              log(ORDER, cancelled)]

    doc = twice(OrderSummaryProjection(), events).get_doc(f"order:{ORDER_ID}")

    assert (doc["status"], doc["refund_amount"], doc["cancelled_by"], doc["cancellation_reason"]) == (
        "CANCELLED", "18.25", str(CUSTOMER), "changed my mind")


def test_a_summary_projected_by_an_older_version_reads_the_same_until_rebuilt():
    """Versions 1 and 2 stored a flat dict (tracking flat, "+00:00" times; 1 also `cancel_reason`)."""
    log = Log()
    events = [log(ORDER, created()), log(ORDER, OrderConfirmed(ORDER_ID)), log(ORDER, OrderPaid(ORDER_ID, TOTAL, "p")),
              log(ORDER, OrderShipped(ORDER_ID, "DHL", "T-1")),
              log(ORDER, OrderCancelled(ORDER_ID, "changed my mind", CUSTOMER, None), at=DAY_2)]
    new = twice(OrderSummaryProjection(), events).get_doc(f"order:{ORDER_ID}")
    times = {key: datetime.fromisoformat(value).isoformat() for key, value in new.items()
             if key.endswith("_at") and value is not None}
    version_2 = {**{key: value for key, value in new.items() if key != "tracking"}, **times,
                 "carrier": "DHL", "tracking_number": "T-1"}
    version_1 = {("cancel_reason" if key == "cancellation_reason" else key): value
                 for key, value in version_2.items() if key not in ("note_count", "unavailable_lines")}

    summary = load_summary(new)
    assert (summary.tracking, summary.cancellation_reason, summary.cancelled_at) == (
        Tracking("DHL", "T-1"), "changed my mind", DAY_2)
    assert load_summary(version_2) == summary
    assert load_summary(version_1) == summary


def test_inventory_levels_and_the_low_stock_set():
    log = Log()
    mug, tea = "inventory-MUG-1", "inventory-TEA-2"
    events = [log(mug, StockReceived("MUG-1", 10)), log(tea, StockReceived("TEA-2", 3)),
              log(mug, StockReserved("MUG-1", ORDER_ID, 6)), log(mug, StockShipped("MUG-1", ORDER_ID, 2)),
              log(mug, StockReleased("MUG-1", ORDER_ID, 4)), log(tea, StockAdjusted("TEA-2", 5, "recount")),
              log(mug, StockReserved("MUG-1", OTHER_ORDER_ID, 5))]

    writer = twice(InventoryProjection(), events)

    levels = {sku: {k: writer.get_doc(f"sku:{sku}")[k] for k in ("on_hand", "reserved", "available", "version")}
              for sku in ("MUG-1", "TEA-2")}
    assert levels == {"MUG-1": {"on_hand": 8, "reserved": 5, "available": 3, "version": 4},
                      "TEA-2": {"on_hand": 8, "reserved": 0, "available": 8, "version": 1}}
    assert writer.state()["zsets"] == {"low": [["MUG-1", 3.0]], "skus": [["MUG-1", 0.0], ["TEA-2", 0.0]]}


def test_sales_counts_days_revenue_refunds_and_units():
    log = Log()
    other = OrderCreated(OTHER_ORDER_ID, "43", LINES, TOTAL, "EUR")
    events = [log(ORDER, created()), log(OTHER, other), log(ORDER, OrderPaid(ORDER_ID, TOTAL, "p")),
              log(OTHER, OrderPaid(OTHER_ORDER_ID, TOTAL, "q")),
              log(OTHER, OrderCancelled(OTHER_ORDER_ID, "oops", Actor.staff("7"), TOTAL), at=DAY_2)]

    state = twice(SalesProjection(), events).state()

    assert state["hashes"] == {
        "day:2026-03-01": {"orders_created": "2", "orders_created:EUR": "2", "orders_paid": "2", "orders_paid:EUR": "2",
                           "revenue_cents:EUR": "3650"},
        "day:2026-03-02": {"orders_cancelled": "1", "orders_refunded": "1", "refund_cents:EUR": "1825"},
    }
    assert state["zsets"]["units:all"] == [["TEA-2", 1.0], ["MUG-1", 2.0]]
    assert state["zsets"]["units:2026-03-01"] == [["TEA-2", 1.0], ["MUG-1", 2.0]]
    assert state["zsets"]["days"] == [["2026-03-01", float(DAY_1.date().toordinal())],
                                      ["2026-03-02", float(DAY_2.date().toordinal())]]


@pytest.mark.parametrize("projection", [OrderSummaryProjection(), SalesProjection()])
def test_order_projections_ignore_streams_that_only_look_like_orders(projection):
    log = Log()
    writer = project(projection, [log(f"snapshot-{ORDER}", created())])
    assert writer.writes == []
