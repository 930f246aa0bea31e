"""Registers the domain's events with the event log's registry (their stored type names)."""
from __future__ import annotations

from eventlog.registry import registry
from orders.domain.events import ALL_EVENTS

for _event_class in ALL_EVENTS:
    if not registry.knows(_event_class.__name__):
        registry.register(_event_class, schema_version=_event_class.SCHEMA_VERSION)
