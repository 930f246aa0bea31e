"""What the order pages read: the newest window of an order's timeline, the read model, their agreement.

The timeline comes from the event store (the truth), the summary from the read model (maybe
behind). A page compares the two versions: while the summary is behind, it waits briefly for
the projection and otherwise says "updating..." instead of showing the old state as current.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from orders.domain.order import ALLOWED_FROM, Order
from orders.domain.values import OrderStatus
from orders.timelines import DEFAULT_PAGE, Timeline, newest_timeline
from orders.visibility import VisibleTimeline
from projections import selectors
from projections.consistency import Freshness, freshness, wait_for_read_models
from projections.orders import NAME as ORDERS_READ_MODEL

log = logging.getLogger(__name__)

READ_WAIT_SECONDS = 1.0  # how long a page waits for the read model before it says "updating..."
POLL_WAIT_SECONDS = 0.3  # shorter, for the "updating..." page's own polls


def latest_timeline(order_id: UUID) -> Timeline | None:
    """The newest window (up to DEFAULT_PAGE events) of an order's timeline, None if no such order."""
    return newest_timeline(Order.stream_name(order_id), limit=DEFAULT_PAGE)


@dataclass(frozen=True, slots=True)
class OrderReading:
    """An order as a page shows it: the truth's timeline and the read model's summary, if it caught up."""

    timeline: Timeline
    summary: selectors.OrderSummary | None  # None while the read model has not caught up

    @property
    def customer_id(self) -> str:
        """Whose order it is, from the event store (never stale)."""
        return str(self.timeline.state.get("customer_id", ""))

    @property
    def fresh(self) -> bool:
        """Whether the summary includes every event of the order."""
        return self.summary is not None


def read_order(order_id: UUID, *, wait: float = READ_WAIT_SECONDS) -> OrderReading | None:
    """The order's timeline and, once the read model has caught up with it (waiting up to `wait`), its summary."""
    timeline = latest_timeline(order_id)
    if timeline is None or not timeline.entries:
        return None
    summary = selectors.get_order(order_id)
    if summary is None or summary.version < timeline.last_version:
        position = timeline.entries[-1].event.commit_position
        if wait > 0 and wait_for_read_models(position, names=(ORDERS_READ_MODEL,), timeout=wait):
            summary = selectors.get_order(order_id)
        if summary is None or summary.version < timeline.last_version:
            summary = None
    return OrderReading(timeline, summary)


def allowed_actions(status: OrderStatus | str | None) -> set[str]:
    """The actions whose rules allow starting from `status` (buttons are shown only for these)."""
    if status is None:
        return set()
    status = OrderStatus(status)
    return {action for action, statuses in ALLOWED_FROM.items() if status in statuses}


@dataclass(frozen=True, slots=True)
class Step:
    """One line of a readable timeline."""

    version: int
    at: datetime
    text: str
    event_type: str
    actor: str  # "" where the reader may not know who acted


def readable_steps(view: VisibleTimeline) -> list[Step]:
    """A timeline in words, oldest first, as its reader may see it (orders/visibility.py decides what that is)."""
    return [Step(version=entry.version, at=entry.recorded_at, text=entry.description, event_type=entry.event_type,
                 actor="" if entry.metadata is None else entry.metadata.actor)
            for entry in view.entries]


def lag_of(name: str) -> Freshness | None:
    """How far a read model is behind, None when it is current (or when that cannot be measured now)."""
    try:
        measured = freshness(name)
    except Exception as error:  # a freshness note must never break a page
        log.warning("could not measure the freshness of %s: %s", name, error)
        return None
    return measured if measured.is_behind else None

