"""This app's read models, registered with the runner's subscribers when the app is ready."""
from __future__ import annotations

from eventlog.subscriptions.base import Subscriber
from eventlog.subscriptions.subscribers import READ_MODEL, register_subscriber
from projections.customer_timeline import CustomerTimelineProjection
from projections.inventory import InventoryProjection
from projections.orders import OrderSummaryProjection
from projections.sales import SalesProjection

__all__ = ["READ_MODELS", "register"]

# Rebuildable read models, written only through their ReadModelWriter.
READ_MODELS: tuple[Subscriber, ...] = (
    OrderSummaryProjection(),
    InventoryProjection(),
    SalesProjection(),
    CustomerTimelineProjection(),
)


def register() -> None:
    """Let the runner feed this app's read models (called from ProjectionsConfig.ready)."""
    for read_model in READ_MODELS:
        register_subscriber(read_model, group=READ_MODEL)
