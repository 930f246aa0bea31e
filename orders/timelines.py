"""Timelines of orders and inventories: every event, the state after it, and words for people."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventlog import connections
from eventlog.errors import StreamNotFoundError
from eventlog.ports import EventStorePort
from eventlog.timeline import TimelineEntry, build_timeline
from orders.domain.aggregate import Aggregate
from orders.domain.customer import Customer
from orders.domain.inventory import Inventory
from orders.domain.order import Order
from orders.repository import AggregateRepository
from orders.wording import describe

__all__ = ["AGGREGATES", "DEFAULT_PAGE", "Timeline", "describe", "newest_timeline", "order_timeline",
           "stream_timeline", "window_end", "window_start"]

AGGREGATES: dict[str, type[Aggregate[Any]]] = {"order": Order, "inventory": Inventory, "customer": Customer}
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
