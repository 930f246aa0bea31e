"""Read model "inventory": stock levels per sku and the set of skus running low.

Relative keys (scoped by the writer to `rm:inventory:g<gen>:`):

    sku:<sku>      JSON {sku, on_hand, reserved, available, version, last_position, updated_at}
    skus           sorted set of every sku with stock history (all scores 0: ordered by name)
    low            sorted set of skus with available <= LOW_STOCK_THRESHOLD, scored by available
"""
from __future__ import annotations

from typing import Any

from eventlog.envelope import RecordedEvent
from eventlog.subscriptions.base import ReadModelWriter, SubscriberSpec
from orders.domain.events import (
    InventoryEvent,
    StockAdjusted,
    StockReceived,
    StockReleased,
    StockReserved,
    StockShipped,
)
from projections.fields import iso

__all__ = ["LOW_STOCK", "LOW_STOCK_THRESHOLD", "NAME", "SKUS", "InventoryProjection", "level_key"]

NAME = "inventory"
VERSION = 1  # raise when this read model changes shape or meaning: a deploy then rebuilds it blue/green
STREAM_PREFIX = "inventory-"
LOW_STOCK_THRESHOLD = 5  # a sku is "low" when at most this many units are still available
SKUS = "skus"
LOW_STOCK = "low"


def level_key(sku: str) -> str:
    """Relative key of one sku's stock level document."""
    return f"sku:{sku}"


def _deltas(event: InventoryEvent) -> tuple[int, int] | None:
    """(change of on hand, change of reserved) for one inventory event; None if unknown."""
    match event:
        case StockReceived(quantity=quantity):
            return quantity, 0
        case StockReserved(quantity=quantity):
            return 0, quantity
        case StockReleased(quantity=quantity):
            return 0, -quantity
        case StockShipped(quantity=quantity):
            return -quantity, -quantity
        case StockAdjusted(delta=delta):
            return delta, 0
    return None


class InventoryProjection:
    """Stock on hand, reserved and available per sku, and the low-stock set."""

    # Not partitionable: a few streams (one per sku) feed shared sku and low-stock indexes; it stays one runner.
    spec = SubscriberSpec(name=NAME, stream_prefixes=(STREAM_PREFIX,), version=VERSION)

    def handle(self, event: RecordedEvent, writer: ReadModelWriter) -> None:
        """Fold one inventory event into the sku's level and keep the low-stock set in step."""
        if not event.stream_name.startswith(STREAM_PREFIX) or not isinstance(event.data, InventoryEvent):
            return
        deltas = _deltas(event.data)
        if deltas is None:
            return
        sku = event.data.sku
        key = level_key(sku)
        doc: dict[str, Any] = writer.get_doc(key) or {"sku": sku, "on_hand": 0, "reserved": 0, "version": -1}
        if event.stream_position <= doc["version"]:
            return  # already folded in
        doc["on_hand"] += deltas[0]
        doc["reserved"] += deltas[1]
        doc["available"] = doc["on_hand"] - doc["reserved"]
        doc["version"] = event.stream_position
        doc["last_position"] = event.commit_position
        doc["updated_at"] = iso(event.recorded_at)
        writer.set_doc(key, doc)
        writer.zadd(SKUS, {sku: 0})
        if doc["available"] <= LOW_STOCK_THRESHOLD:
            writer.zadd(LOW_STOCK, {sku: doc["available"]})
        else:
            writer.zrem(LOW_STOCK, sku)
