"""Registers the domain's events with the event log's registry (their stored type names)."""
from __future__ import annotations

from typing import Any

from eventlog.registry import registry
from orders.domain.events import ALL_EVENTS

for _event_class in ALL_EVENTS:
    if not registry.knows(_event_class.__name__):
        registry.register(_event_class, schema_version=_event_class.SCHEMA_VERSION)


@registry.upcaster("OrderCreated", from_version=1)
def _order_created_v1_to_v2(payload: dict[str, Any]) -> dict[str, Any]:
    # Orders placed before addresses existed: nothing was recorded, and we say so rather than guess.
    return {**payload, "shipping_address": None, "contact_email": None}
