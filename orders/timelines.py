"""Timelines of orders and inventories: every event, the state after it, and words for people."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventlog import connections
from eventlog.envelope import RecordedEvent
from eventlog.errors import StreamNotFoundError
from eventlog.ports import EventStorePort
from eventlog.timeline import TimelineEntry, build_timeline
from orders.domain import events as ev
from orders.domain.aggregate import Aggregate
from orders.domain.inventory import Inventory
from orders.domain.order import Order
from orders.domain.values import Actor, money_text
from orders.repository import AggregateRepository

AGGREGATES: dict[str, type[Aggregate[Any]]] = {"order": Order, "inventory": Inventory}
DEFAULT_PAGE = 100


@dataclass(frozen=True, slots=True)
class Timeline:
    """A window of one aggregate's history (oldest first)."""

    stream_name: str
    kind: str  # "order" | "inventory"
    aggregate_id: str
    entries: tuple[TimelineEntry, ...]
    last_version: int  # the aggregate's newest version (not only this window's)

    @property
    def state(self) -> dict[str, Any]:
        """The state after the window's last event."""
        return self.entries[-1].state if self.entries else {}


def stream_timeline(stream_name: str, *, from_version: int = 0, to_version: int | None = None,
                    limit: int = DEFAULT_PAGE, store: EventStorePort | None = None) -> Timeline | None:
    """The timeline of an order or inventory stream, None if there is no such aggregate."""
    kind, dash, raw_id = stream_name.partition("-")
    aggregate_class = AGGREGATES.get(kind)
    if not dash or aggregate_class is None or not raw_id:
        return None
    store = store or connections.event_store()
    try:
        events = store.read_stream(stream_name, from_version=from_version, to_version=to_version, limit=limit,
                                   keep_unknown=True)
        last_version = store.stream_version(stream_name)
    except StreamNotFoundError:
        return None
    if last_version is None or (not events and from_version > last_version):
        return None
    aggregate_id = _typed_id(aggregate_class, raw_id)
    if from_version > 0:  # the state just before the window, from a snapshot where there is one
        start = AggregateRepository(store).load(aggregate_class, aggregate_id, as_of=from_version - 1).aggregate
    else:
        start = aggregate_class(aggregate_id)
    return Timeline(stream_name, kind, str(aggregate_id), tuple(build_timeline(start, events)), last_version)


def order_timeline(order_id: UUID, **options: Any) -> Timeline | None:
    """The timeline of one order."""
    return stream_timeline(Order.stream_name(order_id), **options)


def window_start(last: int, *, size: int) -> int:
    """The first version of the window of up to `size` events that ends at version `last`."""
    return max(0, last - size + 1)


def window_end(first: int, *, size: int) -> int:
    """The last version of the window of `size` events that starts at version `first`."""
    return first + size - 1


def newest_timeline(stream_name: str, *, limit: int = DEFAULT_PAGE) -> Timeline | None:
    """The newest window (up to `limit` events) of a stream's timeline, None if there is no such aggregate."""
    timeline = stream_timeline(stream_name, limit=limit)
    if timeline is not None and timeline.entries and timeline.entries[-1].version < timeline.last_version:
        timeline = stream_timeline(stream_name, from_version=window_start(timeline.last_version, size=limit),
                                   limit=limit)
    return timeline


def _typed_id(aggregate_class: type[Aggregate[Any]], raw_id: str) -> Any:
    if aggregate_class is Order:
        from uuid import UUID

        try:
            return UUID(raw_id)
        except ValueError:
            return raw_id
    return raw_id


def describe(event: RecordedEvent, *, for_customer: bool = False) -> str:
    """What happened, in words a staff member (or, `for_customer`, the order's customer) reads on a timeline."""
    data = event.data
    match data:
        case ev.OrderCreated():
            units = sum(line.quantity for line in data.lines)
            return f"Order placed: {units} item{'s' if units != 1 else ''}, {_money(data.total)} {data.currency}"
        case ev.OrderConfirmed():
            return "Confirmed: all items reserved"
        case ev.OrderRejected():
            short = ", ".join(f"{line.sku} ({line.available} of {line.requested} available)"
                              for line in data.unavailable_lines)
            return f"Rejected: {data.reason}" + (f" — {short}" if short else "")
        case ev.OrderPaid():
            return f"Payment received: {_money(data.amount)} (reference {data.payment_reference})"
        case ev.OrderShipped():
            return f"Shipped with {data.carrier}, tracking {data.tracking_number}"
        case ev.OrderDelivered():
            return "Delivered"
        case ev.OrderCancelled():
            refund = f"; {_money(data.refund_amount)} refunded" if data.refund_amount else ""
            return f"Cancelled by {_who(data.cancelled_by, for_customer=for_customer)}: {data.reason}{refund}"
        case ev.ShippingAddressCorrected():
            where = ", ".join(data.shipping_address.as_lines()[1:])
            if for_customer:  # the staff reason is internal, like notes
                return f"Shipping address corrected by our team: now {where}"
            return f"Shipping address corrected by {_who(data.corrected_by, for_customer=False)}: now {where} " \
                   f"(reason: {data.reason})"
        case ev.OrderNoteAdded():
            return "Note added" if for_customer else f"Note from staff {data.author}: {data.text}"
        case ev.StockReceived():
            return f"Received {data.quantity} units"
        case ev.StockReserved():
            return f"Reserved {data.quantity} for order {data.order_id}"
        case ev.StockReleased():
            return f"Released {data.quantity} from order {data.order_id}"
        case ev.StockShipped():
            return f"Shipped {data.quantity} for order {data.order_id}"
        case ev.StockAdjusted():
            return f"Adjusted by {data.delta:+d}: {data.reason}"
    return event.event_type


def _who(actor: Actor, *, for_customer: bool) -> str:
    """Who acted: staff read kind and id; a customer reads "you" or "our team", never a staff member's id."""
    if not for_customer:
        return f"{actor.kind} {actor.id}"
    return "you" if actor.is_customer else "our team"


def _money(amount: Decimal | None) -> str:
    return "" if amount is None else money_text(amount, grouped=True)
