"""The "orders" read model: summaries, newest-first listings with cursors, counts per status."""
from __future__ import annotations

from decimal import Decimal
from uuid import uuid4

import pytest

from orders.domain.commands import (
    AddOrderNote,
    CancelOrder,
    ConfirmOrder,
    DeliverOrder,
    PayOrder,
    RejectOrder,
    ShipOrder,
)
from orders.domain.values import Actor, OrderStatus, UnavailableLine
from orders.handlers import dispatch
from projections import selectors
from projections.orders import OrderSummaryProjection
from projections.selectors import InvalidCursorError, Tracking

from .conftest import STAFF, events_of, order_streams, place, project

pytestmark = pytest.mark.django_db(transaction=True)

SYSTEM = Actor("system", "tests")


def test_a_delivered_order_has_every_milestone(app_store, redis_client, skus):
    mug, tee, _ = skus
    order_id = place("c1", (mug, 2), (tee, 1))
    dispatch(ConfirmOrder(order_id=order_id), actor=SYSTEM)
    dispatch(PayOrder(order_id=order_id, amount=Decimal("44.90"), payment_reference="pay-1"),
             actor=Actor.customer("c1"))
    dispatch(AddOrderNote(order_id=order_id, text="gift wrap"), actor=STAFF)
    dispatch(ShipOrder(order_id=order_id, carrier="DHL", tracking_number="JD01"), actor=STAFF)
    delivered = dispatch(DeliverOrder(order_id=order_id), actor=STAFF)
    events = events_of(app_store, *order_streams(order_id))

    project(redis_client, OrderSummaryProjection(), events)

    summary = selectors.get_order(order_id, client=redis_client)
    assert summary is not None
    assert (summary.order_id, summary.customer_id, summary.status) == (order_id, "c1", OrderStatus.DELIVERED)
    assert (summary.total, summary.currency, summary.amount_paid) == (Decimal("44.90"), "EUR", Decimal("44.90"))
    assert [(line.sku, line.quantity, line.unit_price, line.subtotal) for line in summary.lines] == [
        (mug, 2, Decimal("12.50"), Decimal("25.00")), (tee, 1, Decimal("19.90"), Decimal("19.90"))]
    assert summary.tracking == Tracking("DHL", "JD01")
    assert (summary.note_count, summary.payment_reference) == (1, "pay-1")
    assert summary.version == delivered.new_version == events[-1].stream_position
    assert summary.last_position == delivered.commit_position
    by_type = {event.event_type: event.recorded_at for event in events}
    assert summary.created_at == by_type["OrderCreated"]
    assert summary.confirmed_at == by_type["OrderConfirmed"]
    assert summary.paid_at == by_type["OrderPaid"]
    assert summary.shipped_at == by_type["OrderShipped"]
    assert summary.delivered_at == summary.updated_at == by_type["OrderDelivered"]
    assert summary.cancelled_at is None and summary.rejected_at is None
    assert summary.created_at.utcoffset().total_seconds() == 0


def test_cancelled_and_rejected_orders_keep_their_reasons(app_store, redis_client, skus):
    mug, tee, _ = skus
    paid = place("c1", (mug, 1))
    dispatch(ConfirmOrder(order_id=paid), actor=SYSTEM)
    dispatch(PayOrder(order_id=paid, amount=Decimal("12.50"), payment_reference="p"), actor=Actor.customer("c1"))
    dispatch(CancelOrder(order_id=paid, reason="changed my mind"), actor=Actor.customer("c1"))
    rejected = place("c2", (tee, 3))
    short = UnavailableLine(tee, 3, 1)
    dispatch(RejectOrder(order_id=rejected, reason="not enough stock", unavailable_lines=(short,)), actor=SYSTEM)

    project(redis_client, OrderSummaryProjection(), events_of(app_store, *order_streams(paid, rejected)))

    cancelled = selectors.get_order(str(paid), client=redis_client)
    assert cancelled.status is OrderStatus.CANCELLED
    assert (cancelled.cancellation_reason, cancelled.cancelled_by, cancelled.refund_amount) == (
        "changed my mind", "customer:c1", Decimal("12.50"))
    assert cancelled.cancelled_at is not None
    refused = selectors.get_order(rejected, client=redis_client)
    assert refused.status is OrderStatus.REJECTED
    assert (refused.rejection_reason, refused.unavailable_lines) == ("not enough stock", (short,))
    assert refused.rejected_at is not None and refused.refund_amount is None


def test_listings_are_newest_first_with_cursors_and_counts_follow_status(app_store, redis_client, skus):
    mug, _, _ = skus
    placed = [place("c1" if n % 2 == 0 else "c2", (mug, 1)) for n in range(5)]
    dispatch(ConfirmOrder(order_id=placed[1]), actor=SYSTEM)
    dispatch(ConfirmOrder(order_id=placed[3]), actor=SYSTEM)
    dispatch(CancelOrder(order_id=placed[3], reason="dup"), actor=STAFF)

    project(redis_client, OrderSummaryProjection(), events_of(app_store, *order_streams(*placed)))

    newest_first = list(reversed(placed))
    seen, cursor, pages = [], None, 0
    while True:
        page = selectors.list_orders(cursor=cursor, page_size=2, client=redis_client)
        assert page.total == 5
        seen.extend(summary.order_id for summary in page.items)
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            break
    assert (seen, pages) == (newest_first, 3)

    c1 = selectors.list_orders_by_customer("c1", client=redis_client)
    assert [s.order_id for s in c1.items] == [placed[4], placed[2], placed[0]] and c1.next_cursor is None
    confirmed = selectors.list_orders_by_status(OrderStatus.CONFIRMED, client=redis_client)
    assert [s.order_id for s in confirmed.items] == [placed[1]]
    pending = selectors.list_orders_by_status("PENDING", page_size=2, client=redis_client)
    assert [s.order_id for s in pending.items] == [placed[4], placed[2]] and pending.total == 3
    counts = selectors.count_orders_by_status(client=redis_client)
    assert counts == {**dict.fromkeys(OrderStatus, 0), OrderStatus.PENDING: 3, OrderStatus.CONFIRMED: 1,
                      OrderStatus.CANCELLED: 1}


def test_unknown_things_are_not_found_and_bad_cursors_are_refused(redis_client):
    assert selectors.get_order(uuid4(), client=redis_client) is None
    assert selectors.get_order("not-a-uuid", client=redis_client) is None
    empty = selectors.list_orders_by_customer("nobody", client=redis_client)
    assert (empty.items, empty.next_cursor, empty.total) == ((), None, 0)
    assert selectors.list_orders_by_status("LOST", client=redis_client).items == ()
    for bad in ("!!!", "bm9wZQ", "o1:12"):
        with pytest.raises(InvalidCursorError):
            selectors.list_orders(cursor=bad, client=redis_client)


def test_selectors_read_the_live_generation(app_store, redis_client, skus):
    order_id = place("c9", (skus[0], 1))
    events = events_of(app_store, *order_streams(order_id))
    project(redis_client, OrderSummaryProjection(), events, generation=2)

    assert selectors.get_order(order_id, client=redis_client) is None  # pointer absent: generation 1
    redis_client.set("sub:orders:generation", 2)
    assert selectors.get_order(order_id, client=redis_client).status is OrderStatus.PENDING


def test_without_a_client_selectors_use_the_default_cache_redis(app_store, redis_client, skus):
    order_id = place("c8", (skus[1], 2))
    project(redis_client, OrderSummaryProjection(), events_of(app_store, *order_streams(order_id)))

    summary = selectors.get_order(order_id)

    assert summary is not None and summary.total == Decimal("39.80")
    assert selectors.count_orders_by_status()[OrderStatus.PENDING] == 1
