"""Counters of the subscription runner, counted where it runs (the workers)."""
from __future__ import annotations

from prometheus_client import Counter

EVENTS_SKIPPED = Counter(
    "ordersys_subscriber_events_skipped",
    "Events a subscriber went past because no registered event class knows their type.",
    labelnames=["subscriber", "event_type"],
)
EVENTS_DEAD_LETTERED = Counter(
    "ordersys_subscriber_events_dead_lettered",
    "Events of a known type a subscriber could not decode or apply, recorded as dead letters.",
    labelnames=["subscriber", "event_type", "policy"],
)
