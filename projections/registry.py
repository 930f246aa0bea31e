"""Every subscriber the runner feeds: the read models of this app and the fulfillment process manager."""
from __future__ import annotations

from eventlog.subscriptions.base import Subscriber
from projections.inventory import InventoryProjection
from projections.order_summary import OrderSummaryProjection
from projections.sales import SalesProjection

__all__ = ["READ_MODELS", "all_subscribers", "subscriber"]

# Rebuildable read models, written only through their ReadModelWriter.
READ_MODELS: tuple[Subscriber, ...] = (
    OrderSummaryProjection(),
    InventoryProjection(),
    SalesProjection(),
)


def all_subscribers() -> tuple[Subscriber, ...]:
    """The read models, then the process managers (imported here: they need Django and the handlers)."""
    from orders.fulfillment import FulfillmentProcessManager

    return (*READ_MODELS, FulfillmentProcessManager())


def subscriber(name: str) -> Subscriber:
    """The subscriber with this spec name (KeyError if there is none)."""
    for candidate in all_subscribers():
        if candidate.spec.name == name:
            return candidate
    raise KeyError(name)
