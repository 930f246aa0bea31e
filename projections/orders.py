"""Read model "orders": one summary document per order, plus the indexes that list them.

Summaries and their indexes live in one projection on purpose: they commit in the same Redis
transaction, so a listing never names an order whose summary is missing or older than the index.

Relative keys (the writer scopes them to `rm:orders:g<gen>:`):

    order:<order_id>                JSON summary (see `_new_summary`)
    idx:all                         sorted set: order_id scored by the commit position of OrderCreated
    idx:status:<STATUS>             same scores, the orders currently in that status
    idx:customer:<customer_id>      same scores, one customer's orders

Scores are commit positions (unique, increasing with creation time, exact as floats below 2**53),
so "newest first" is ZREVRANGEBYSCORE and a cursor is just the last score seen. Counts per status
are the cardinalities of the status indexes, so they can never drift from the listings.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from eventlog.envelope import RecordedEvent
from eventlog.subscriptions.base import ReadModelWriter, SubscriberSpec
from orders.domain.events import (
    OrderCancelled,
    OrderConfirmed,
    OrderCreated,
    OrderDelivered,
    OrderEvent,
    OrderNoteAdded,
    OrderPaid,
    OrderRejected,
    OrderShipped,
)
from orders.domain.values import OrderStatus
from projections.fields import iso, money_text

__all__ = ["ALL_INDEX", "NAME", "OrderSummaryProjection", "customer_index", "status_index", "summary_key"]

log = logging.getLogger(__name__)

NAME = "orders"
VERSION = 1  # raise when this read model changes shape or meaning: a deploy then rebuilds it blue/green
STREAM_PREFIX = "order-"
ALL_INDEX = "idx:all"


def summary_key(order_id: object) -> str:
    """Relative key of one order's summary document."""
    return f"order:{order_id}"


def status_index(status: str) -> str:
    """Relative key of the index of orders currently in `status`."""
    return f"idx:status:{status}"


def customer_index(customer_id: str) -> str:
    """Relative key of the index of one customer's orders."""
    return f"idx:customer:{customer_id}"


class OrderSummaryProjection:
    """Order summaries and the all / by-status / by-customer indexes."""

    spec = SubscriberSpec(name=NAME, stream_prefixes=(STREAM_PREFIX,), version=VERSION)

    def handle(self, event: RecordedEvent, writer: ReadModelWriter) -> None:
        """Fold one order event into its summary and move it between status indexes."""
        # The server-side filter is a prefix regex that can also match e.g. `snapshot-order-...`.
        if not event.stream_name.startswith(STREAM_PREFIX):
            return
        data = event.data
        if isinstance(data, OrderCreated):
            self._created(event, data, writer)
            return
        apply = _APPLIERS.get(type(data))
        if apply is None:
            return
        key = summary_key(data.order_id)
        doc = writer.get_doc(key)
        if doc is None:
            log.warning("%s at %s@%d has no OrderCreated before it; skipped",
                        event.event_type, event.stream_name, event.stream_position)
            return
        if event.stream_position <= doc["version"]:
            return  # already folded in; keeps the document idempotent whatever the runner does
        before = doc["status"]
        at = iso(event.recorded_at)
        apply(doc, data, at)
        doc["version"] = event.stream_position
        doc["last_position"] = event.commit_position
        doc["updated_at"] = at
        writer.set_doc(key, doc)
        if doc["status"] != before:
            member = str(data.order_id)
            writer.zrem(status_index(before), member)
            writer.zadd(status_index(doc["status"]), {member: doc["created_position"]})

    def _created(self, event: RecordedEvent, created: OrderCreated, writer: ReadModelWriter) -> None:
        key = summary_key(created.order_id)
        if writer.get_doc(key) is not None:
            return
        doc = _new_summary(event, created)
        writer.set_doc(key, doc)
        member, score = str(created.order_id), doc["created_position"]
        writer.zadd(ALL_INDEX, {member: score})
        writer.zadd(status_index(doc["status"]), {member: score})
        writer.zadd(customer_index(created.customer_id), {member: score})


def _new_summary(event: RecordedEvent, created: OrderCreated) -> dict[str, Any]:
    at = iso(event.recorded_at)
    return {
        "order_id": str(created.order_id),
        "customer_id": created.customer_id,
        "status": OrderStatus.PENDING.value,
        "currency": created.currency,
        "total": money_text(created.total),
        "lines": [
            {"sku": line.sku, "name": line.name, "quantity": line.quantity, "unit_price": money_text(line.unit_price)}
            for line in created.lines
        ],
        "created_at": at,
        "updated_at": at,
        "confirmed_at": None,
        "rejected_at": None,
        "paid_at": None,
        "shipped_at": None,
        "delivered_at": None,
        "cancelled_at": None,
        "amount_paid": None,
        "payment_reference": None,
        "carrier": None,
        "tracking_number": None,
        "cancel_reason": None,
        "cancelled_by": None,
        "refund_amount": None,
        "reject_reason": None,
        "unavailable_lines": [],
        "note_count": 0,
        "version": event.stream_position,
        "created_position": event.commit_position,
        "last_position": event.commit_position,
    }


def _confirmed(doc: dict[str, Any], event: OrderConfirmed, at: str) -> None:
    doc.update(status=OrderStatus.CONFIRMED.value, confirmed_at=at)


def _rejected(doc: dict[str, Any], event: OrderRejected, at: str) -> None:
    doc.update(status=OrderStatus.REJECTED.value, rejected_at=at, reject_reason=event.reason,
               unavailable_lines=[{"sku": line.sku, "requested": line.requested, "available": line.available}
                                  for line in event.unavailable_lines])


def _paid(doc: dict[str, Any], event: OrderPaid, at: str) -> None:
    doc.update(status=OrderStatus.PAID.value, paid_at=at, amount_paid=money_text(event.amount),
               payment_reference=event.payment_reference)


def _shipped(doc: dict[str, Any], event: OrderShipped, at: str) -> None:
    doc.update(status=OrderStatus.SHIPPED.value, shipped_at=at, carrier=event.carrier,
               tracking_number=event.tracking_number)


def _delivered(doc: dict[str, Any], event: OrderDelivered, at: str) -> None:
    doc.update(status=OrderStatus.DELIVERED.value, delivered_at=at)


def _cancelled(doc: dict[str, Any], event: OrderCancelled, at: str) -> None:
    doc.update(status=OrderStatus.CANCELLED.value, cancelled_at=at, cancel_reason=event.reason,
               cancelled_by=str(event.cancelled_by),
               refund_amount=None if event.refund_amount is None else money_text(event.refund_amount))


def _note_added(doc: dict[str, Any], event: OrderNoteAdded, at: str) -> None:
    doc["note_count"] += 1


_APPLIERS: dict[type[OrderEvent], Callable[[dict[str, Any], Any, str], None]] = {
    OrderConfirmed: _confirmed,
    OrderRejected: _rejected,
    OrderPaid: _paid,
    OrderShipped: _shipped,
    OrderDelivered: _delivered,
    OrderCancelled: _cancelled,
    OrderNoteAdded: _note_added,
}
