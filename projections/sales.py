"""Read model "sales": daily order counts and revenue, and products ranked by units sold.

Definitions (UTC calendar days of the events' `recorded_at`):
- an order is counted on the day it was created (OrderCreated), whatever became of it;
  rejected and cancelled orders are also counted on the day that happened;
- revenue is counted when and where money moves: the amount paid on the day of OrderPaid,
  a refund on the day of the OrderCancelled that carries it (net = revenue - refunds);
  amounts are integer cents per currency, never floats, never mixed across currencies;
- units sold are the quantities of paid orders, credited to the payment day; a refunded order's
  units are taken back from that same payment day, so units never go negative.

Relative keys (scoped by the writer to `rm:sales:g<gen>:`):

    day:<YYYY-MM-DD>     hash: orders_created, orders_paid, orders_cancelled, orders_refunded,
                         orders_rejected (all currencies), orders_created:<CUR>, orders_paid:<CUR>,
                         revenue_cents:<CUR>, refund_cents:<CUR>
    days                 sorted set of days with figures, scored by date.toordinal()
    units:all            sorted set sku -> units sold, all time
    units:<YYYY-MM-DD>   sorted set sku -> units sold on orders paid that day
    order:<order_id>     JSON {currency, lines: [[sku, quantity]], paid_day, version}: what later events need
"""
from __future__ import annotations

from datetime import date
from typing import Any

from eventlog.envelope import RecordedEvent
from eventlog.subscriptions.base import ReadModelWriter, SubscriberSpec
from orders.domain.events import OrderCancelled, OrderCreated, OrderPaid, OrderRejected
from projections.fields import to_cents, utc_day

__all__ = ["DAYS", "NAME", "UNITS_ALL", "SalesProjection", "day_key", "units_key"]

NAME = "sales"
# Raise when this read model changes shape or meaning: a deploy then rebuilds it blue/green.
# 2: order counts per currency as well (orders_created:<CUR>, orders_paid:<CUR>), for the staff dashboard.
VERSION = 2
STREAM_PREFIX = "order-"
DAYS = "days"
UNITS_ALL = "units:all"


def day_key(day: date) -> str:
    """Relative key of one day's figures."""
    return f"day:{day.isoformat()}"


def units_key(day: date) -> str:
    """Relative key of the units sold on orders paid on one day."""
    return f"units:{day.isoformat()}"


def _order_key(order_id: object) -> str:
    return f"order:{order_id}"


class SalesProjection:
    """Daily counts and revenue per currency, units sold per product."""

    # Not partitionable: every order adds to shared per-day counters and product rankings, which readers
    # would then have to sum across partitions; its per-event work is small, one runner keeps up.
    spec = SubscriberSpec(name=NAME, stream_prefixes=(STREAM_PREFIX,), version=VERSION)

    def handle(self, event: RecordedEvent, writer: ReadModelWriter) -> None:
        """Add one order event's contribution to the day it happened."""
        if not event.stream_name.startswith(STREAM_PREFIX):
            return
        data = event.data
        if not isinstance(data, OrderCreated | OrderPaid | OrderCancelled | OrderRejected):
            return
        key = _order_key(data.order_id)
        doc = writer.get_doc(key)
        if isinstance(data, OrderCreated):
            if doc is not None:
                return
            doc = {"currency": data.currency, "lines": [[line.sku, line.quantity] for line in data.lines],
                   "paid_day": None, "version": -1}
        elif doc is None:
            return  # no OrderCreated seen for this stream: nothing to attribute the figures to
        if event.stream_position <= doc["version"]:
            return  # already counted
        day = utc_day(event.recorded_at)
        writer.zadd(DAYS, {day.isoformat(): day.toordinal()})
        counts = day_key(day)
        match data:
            case OrderCreated():
                writer.hincrby(counts, "orders_created", 1)
                writer.hincrby(counts, f"orders_created:{doc['currency']}", 1)
            case OrderRejected():
                writer.hincrby(counts, "orders_rejected", 1)
            case OrderPaid(amount=amount):
                writer.hincrby(counts, "orders_paid", 1)
                writer.hincrby(counts, f"orders_paid:{doc['currency']}", 1)
                writer.hincrby(counts, f"revenue_cents:{doc['currency']}", to_cents(amount))
                doc["paid_day"] = day.isoformat()
                _add_units(writer, doc, day, sign=1)
            case OrderCancelled(refund_amount=refund):
                writer.hincrby(counts, "orders_cancelled", 1)
                if refund is not None:
                    writer.hincrby(counts, "orders_refunded", 1)
                    writer.hincrby(counts, f"refund_cents:{doc['currency']}", to_cents(refund))
                if doc["paid_day"] is not None:
                    _add_units(writer, doc, date.fromisoformat(doc["paid_day"]), sign=-1)
        doc["version"] = event.stream_position
        writer.set_doc(key, doc)


def _add_units(writer: ReadModelWriter, doc: dict[str, Any], paid_day: date, *, sign: int) -> None:
    for sku, quantity in doc["lines"]:
        writer.zincrby(UNITS_ALL, sign * quantity, sku)
        writer.zincrby(units_key(paid_day), sign * quantity, sku)
