"""What the order pages read: an order's timeline and summary, and whether they agree.

The admin's order page reads the timeline from the event store (the truth: staff timelines and
time travel are its job). The customer's order page reads only read models: the summary
(`orders`) and the customer timeline (`customer_timeline`, already filtered by orders/redaction.py).
While the two disagree (one projection is ahead of the other) the page waits briefly for both and
otherwise says "updating..." instead of showing a mix as current.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from orders.domain.order import ALLOWED_FROM, Order
from orders.domain.values import OrderStatus
from orders.redaction import VisibleTimeline
from orders.timelines import DEFAULT_PAGE, Timeline, newest_timeline
from projections import selectors
from projections.consistency import Freshness, published_freshness, wait_for_read_models
from projections.customer_timeline import NAME as CUSTOMER_TIMELINE_READ_MODEL
from projections.orders import NAME as ORDERS_READ_MODEL

log = logging.getLogger(__name__)

READ_WAIT_SECONDS = 1.0  # how long a page waits for the read model before it says "updating..."
POLL_WAIT_SECONDS = 0.3  # shorter, for the "updating..." page's own polls
# What the customer's order page reads; a command sent from a customer page waits for both.
CUSTOMER_ORDER_READ_MODELS = (ORDERS_READ_MODEL, CUSTOMER_TIMELINE_READ_MODEL)


def latest_timeline(order_id: UUID) -> Timeline | None:
    """The newest window (up to DEFAULT_PAGE events) of an order's timeline from the store, None if no such order."""
    return newest_timeline(Order.stream_name(order_id), limit=DEFAULT_PAGE)


@dataclass(frozen=True, slots=True)
class OrderReading:
    """An order as the customer's page shows it: its summary and timeline, once both read models agree."""

    customer_id: str  # whose order it is ("" while the read models do not know the order yet)
    timeline: VisibleTimeline | None  # the newest window as the customer sees it
    summary: selectors.OrderSummary | None  # None while the read models disagree or do not know the order

    @property
    def fresh(self) -> bool:
        """Whether the summary and the timeline show the same version of the order."""
        return self.summary is not None


def read_customer_order(order_id: UUID, *, wait: float = READ_WAIT_SECONDS) -> OrderReading | None:
    """The order from the read models only (summary and customer timeline), None if they do not know it.

    When the two show different versions, waits up to `wait` for both to reach the newer one's
    position; if they still differ, `summary` is None (the page says "updating...").
    """
    summary, steps = _customer_order(order_id)
    if summary is None and steps is None:
        return None
    if not _agree(summary, steps):
        position = max(summary.last_position if summary else 0, steps.last_position if steps else 0)
        if wait > 0 and wait_for_read_models(position, names=CUSTOMER_ORDER_READ_MODELS, timeout=wait):
            summary, steps = _customer_order(order_id)
    customer_id = summary.customer_id if summary is not None else steps.customer_id if steps is not None else ""
    timeline = steps.timeline if steps is not None else None
    return OrderReading(customer_id=customer_id, timeline=timeline,
                        summary=summary if _agree(summary, steps) else None)


def _customer_order(order_id: UUID) -> tuple[selectors.OrderSummary | None, selectors.CustomerTimeline | None]:
    return selectors.get_customer_order(order_id, limit=DEFAULT_PAGE)


def _agree(summary: selectors.OrderSummary | None, steps: selectors.CustomerTimeline | None) -> bool:
    return summary is not None and steps is not None and summary.version == steps.timeline.last_version


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


def may_still_arrive() -> bool:
    """Whether an order the customer read models do not know may be one they have not caught up with yet.

    True while either is behind the published appends, or has applied nothing at all (just started,
    or its Redis was emptied and it is refilling).
    """
    try:
        measured = [published_freshness(name) for name in CUSTOMER_ORDER_READ_MODELS]
    except Exception as error:  # unknown: better "updating..." than a wrong "no such order"
        log.warning("could not read the freshness of the customer read models: %s", error)
        return True
    return any(freshness.is_behind or not freshness.started for freshness in measured)


def lag_of(name: str) -> Freshness | None:
    """How far a read model is behind, None when it is current (or when that cannot be known now).

    From what the runners and writers publish in Redis, never from the event store, so a page pays
    one Redis round trip for it.
    """
    try:
        measured = published_freshness(name)
    except Exception as error:  # a freshness note must never break a page
        log.warning("could not read the freshness of %s: %s", name, error)
        return None
    return measured if measured.is_behind else None
