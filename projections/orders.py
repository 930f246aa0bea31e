"""Read model "orders": one summary document per order, plus the indexes that list them.

Summaries and their indexes live in one projection on purpose: they commit in the same Redis
transaction, so a listing never names an order whose summary is missing or older than the index.

Relative keys (the writer scopes them to `rm:orders:g<gen>:`):

    order:<order_id>                an `OrderSummary` as JSON, written and read by the event log's codec
    idx:all                         sorted set: order_id scored by the commit position of OrderCreated
    idx:status:<STATUS>             same scores, the orders currently in that status
    idx:customer:<customer_id>      same scores, one customer's orders

When a customer is erased (`CustomerErased`, stream `customer-<id>`, read by every partition), the
personal fields of each of their orders in the index read "[erased]": the same as a rebuild gives,
whose events then decode with "[erased]" in those fields.

Scores are commit positions (unique, increasing with creation time, exact as floats below 2**53),
so "newest first" is ZREVRANGEBYSCORE and a cursor is just the last score seen. Counts per status
are the cardinalities of the status indexes, so they can never drift from the listings.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventlog import codec
from eventlog.envelope import RecordedEvent
from eventlog.pii import ERASED
from eventlog.subscriptions.base import ReadModelWriter, SubscriberSpec
from orders.domain.addresses import ShippingAddress
from orders.domain.events import (
    CustomerErased,
    OrderCancelled,
    OrderConfirmed,
    OrderCreated,
    OrderDelivered,
    OrderEvent,
    OrderNoteAdded,
    OrderPaid,
    OrderRejected,
    OrderShipped,
    ShippingAddressCorrected,
)
from orders.domain.values import OrderLine, OrderStatus, UnavailableLine, money_text
from projections.fields import as_utc

__all__ = ["ALL_INDEX", "NAME", "OrderSummary", "OrderSummaryProjection", "Tracking", "customer_index",
           "load_summary", "status_index", "summary_key"]

log = logging.getLogger(__name__)

NAME = "orders"
VERSION = 4  # raise when this read model changes shape or meaning: a deploy then rebuilds it blue/green
# 2: rejection_reason and cancellation_reason (were reject_reason and cancel_reason; selectors read both meanwhile)
# 3: the document is an `OrderSummary` encoded by the event log's codec (tracking nested, times with "Z");
#    `load_summary` still reads version 1 and 2 documents until the rebuild has replaced them
# 4: shipping_address, contact_email, address_corrected_at (older documents read as "no address recorded")
STREAM_PREFIX = "order-"
CUSTOMER_PREFIX = "customer-"  # where CustomerErased lives; every partition reads it
ALL_INDEX = "idx:all"


@dataclass(frozen=True, slots=True)
class Tracking:
    """Where a shipped parcel can be followed."""

    carrier: str
    number: str


@dataclass(frozen=True, slots=True)
class OrderSummary:
    """One order as the read side knows it (as of `last_position` in $all): the one read-model shape of an order."""

    order_id: UUID
    customer_id: str
    status: OrderStatus
    currency: str
    total: Decimal
    lines: tuple[OrderLine, ...]
    created_at: datetime
    updated_at: datetime
    confirmed_at: datetime | None
    rejected_at: datetime | None
    paid_at: datetime | None
    shipped_at: datetime | None
    delivered_at: datetime | None
    cancelled_at: datetime | None
    amount_paid: Decimal | None
    payment_reference: str | None
    tracking: Tracking | None
    cancellation_reason: str | None
    cancelled_by: str | None  # "<kind>:<id>" of whoever cancelled
    refund_amount: Decimal | None
    rejection_reason: str | None
    unavailable_lines: tuple[UnavailableLine, ...]
    note_count: int
    version: int  # stream position of the last event folded in (the aggregate version)
    last_position: int  # commit position of that event
    created_position: int  # commit position of OrderCreated: the order's score in every index
    # Personal fields (None for orders placed before addresses were recorded); the address is the current one.
    shipping_address: ShippingAddress | None = None
    contact_email: str | None = None
    address_corrected_at: datetime | None = None


def load_summary(doc: Mapping[str, Any]) -> OrderSummary:
    """The summary a stored document holds (this version's, or the flat one versions 1 and 2 wrote)."""
    return codec.from_plain(OrderSummary, doc if "tracking" in doc else _from_flat(doc))


def _from_flat(doc: Mapping[str, Any]) -> dict[str, Any]:
    # Versions 1 and 2 kept the tracking flat; version 1 also used other names for the reasons.
    flat = dict(doc)
    carrier, number = flat.pop("carrier", None), flat.pop("tracking_number", None)
    flat["tracking"] = {"carrier": carrier, "number": number} if carrier is not None and number is not None else None
    flat["cancellation_reason"] = flat.pop("cancellation_reason", flat.pop("cancel_reason", None))
    flat["rejection_reason"] = flat.pop("rejection_reason", flat.pop("reject_reason", None))
    flat.setdefault("unavailable_lines", [])
    flat.setdefault("note_count", 0)
    for name in ("confirmed_at", "rejected_at", "paid_at", "shipped_at", "delivered_at", "cancelled_at",
                 "amount_paid", "payment_reference", "cancelled_by", "refund_amount"):
        flat.setdefault(name, None)
    return flat


def _money(amount: Decimal) -> Decimal:
    # Two places whatever the event carried, as the documents have always held money.
    return Decimal(money_text(amount))


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

    # Every event of an order touches only that order's document and its index entries: it may be split by
    # order stream (SUBSCRIBER_PARTITIONS); each partition keeps its own indexes, the selectors merge them.
    # An erasure touches the customer's orders in every partition, so every partition reads `customer-`.
    spec = SubscriberSpec(name=NAME, stream_prefixes=(STREAM_PREFIX,), broadcast_prefixes=(CUSTOMER_PREFIX,),
                          version=VERSION, partitionable=True)

    def handle(self, event: RecordedEvent, writer: ReadModelWriter) -> None:
        """Fold one order event into its summary and move it between status indexes; erase a customer's."""
        data = event.data
        if isinstance(data, CustomerErased) and event.stream_name.startswith(CUSTOMER_PREFIX):
            self._erased(data, writer)
            return
        # The server-side filter is a prefix regex that can also match e.g. `snapshot-order-...`.
        if not event.stream_name.startswith(STREAM_PREFIX):
            return
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
        summary = load_summary(doc)
        if event.stream_position <= summary.version:
            return  # already folded in; keeps the document idempotent whatever the runner does
        at = as_utc(event.recorded_at)
        after = replace(apply(summary, data, at), version=event.stream_position,
                        last_position=event.commit_position, updated_at=at)
        writer.set_doc(key, codec.to_plain(after))
        if after.status != summary.status:
            member = str(data.order_id)
            writer.zrem(status_index(summary.status.value), member)
            writer.zadd(status_index(after.status.value), {member: after.created_position})

    def _created(self, event: RecordedEvent, created: OrderCreated, writer: ReadModelWriter) -> None:
        key = summary_key(created.order_id)
        if writer.get_doc(key) is not None:
            return
        summary = _new_summary(event, created)
        writer.set_doc(key, codec.to_plain(summary))
        member, score = str(created.order_id), summary.created_position
        writer.zadd(ALL_INDEX, {member: score})
        writer.zadd(status_index(summary.status.value), {member: score})
        writer.zadd(customer_index(created.customer_id), {member: score})


    def _erased(self, erased: CustomerErased, writer: ReadModelWriter) -> None:
        # Versions and positions stay: the order's own history did not move, only what it shows.
        for order_id in writer.zmembers(customer_index(erased.customer_id)):
            key = summary_key(order_id)
            doc = writer.get_doc(key)
            if doc is None:
                continue
            summary = load_summary(doc)
            after = without_personal_data(summary)
            if after != summary:
                writer.set_doc(key, codec.to_plain(after))


def without_personal_data(summary: OrderSummary) -> OrderSummary:
    """The summary with the customer's personal fields read as "[erased]" (the country and the books stay).

    The same fields the event log seals (a blank address line and any cancellation reason, which a
    customer may have written, too), so a rebuild after the erasure gives the same summary.
    """
    address = summary.shipping_address
    if address is not None:
        address = replace(address, **dict.fromkeys(_ADDRESS_PARTS, ERASED))
    return replace(summary, shipping_address=address,
                   contact_email=None if summary.contact_email is None else ERASED,
                   cancellation_reason=None if summary.cancellation_reason is None else ERASED)


# Every part of an address but the country (which sales figures and shipping rules need, and names no one).
_ADDRESS_PARTS = ("recipient_name", "line1", "line2", "city", "postal_code", "phone")


def _new_summary(event: RecordedEvent, created: OrderCreated) -> OrderSummary:
    at = as_utc(event.recorded_at)
    return OrderSummary(
        order_id=created.order_id,
        customer_id=created.customer_id,
        status=OrderStatus.PENDING,
        currency=created.currency,
        total=_money(created.total),
        lines=tuple(OrderLine(line.sku, line.name, line.quantity, _money(line.unit_price)) for line in created.lines),
        created_at=at,
        updated_at=at,
        confirmed_at=None,
        rejected_at=None,
        paid_at=None,
        shipped_at=None,
        delivered_at=None,
        cancelled_at=None,
        amount_paid=None,
        payment_reference=None,
        tracking=None,
        cancellation_reason=None,
        cancelled_by=None,
        refund_amount=None,
        rejection_reason=None,
        unavailable_lines=(),
        note_count=0,
        version=event.stream_position,
        last_position=event.commit_position,
        created_position=event.commit_position,
        shipping_address=created.shipping_address,
        contact_email=created.contact_email,
    )


def _confirmed(summary: OrderSummary, event: OrderConfirmed, at: datetime) -> OrderSummary:
    return replace(summary, status=OrderStatus.CONFIRMED, confirmed_at=at)


def _rejected(summary: OrderSummary, event: OrderRejected, at: datetime) -> OrderSummary:
    return replace(summary, status=OrderStatus.REJECTED, rejected_at=at, rejection_reason=event.reason,
                   unavailable_lines=tuple(UnavailableLine(line.sku, line.requested, line.available)
                                           for line in event.unavailable_lines))


def _paid(summary: OrderSummary, event: OrderPaid, at: datetime) -> OrderSummary:
    return replace(summary, status=OrderStatus.PAID, paid_at=at, amount_paid=_money(event.amount),
                   payment_reference=event.payment_reference)


def _shipped(summary: OrderSummary, event: OrderShipped, at: datetime) -> OrderSummary:
    return replace(summary, status=OrderStatus.SHIPPED, shipped_at=at,
                   tracking=Tracking(event.carrier, event.tracking_number))


def _delivered(summary: OrderSummary, event: OrderDelivered, at: datetime) -> OrderSummary:
    return replace(summary, status=OrderStatus.DELIVERED, delivered_at=at)


def _cancelled(summary: OrderSummary, event: OrderCancelled, at: datetime) -> OrderSummary:
    return replace(summary, status=OrderStatus.CANCELLED, cancelled_at=at, cancellation_reason=event.reason,
                   cancelled_by=str(event.cancelled_by),
                   refund_amount=None if event.refund_amount is None else _money(event.refund_amount))


def _note_added(summary: OrderSummary, event: OrderNoteAdded, at: datetime) -> OrderSummary:
    return replace(summary, note_count=summary.note_count + 1)


def _address_corrected(summary: OrderSummary, event: ShippingAddressCorrected, at: datetime) -> OrderSummary:
    return replace(summary, shipping_address=event.shipping_address, address_corrected_at=at)


_APPLIERS: dict[type[OrderEvent], Callable[[OrderSummary, Any, datetime], OrderSummary]] = {
    OrderConfirmed: _confirmed,
    OrderRejected: _rejected,
    OrderPaid: _paid,
    OrderShipped: _shipped,
    OrderDelivered: _delivered,
    OrderCancelled: _cancelled,
    OrderNoteAdded: _note_added,
    ShippingAddressCorrected: _address_corrected,
}
