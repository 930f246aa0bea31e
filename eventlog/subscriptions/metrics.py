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
SUBSCRIBER_BATCHES = Counter("ordersys_subscriber_batches", "Batches of events a subscriber read and applied.",
                             labelnames=["subscriber"])
SUBSCRIBER_EVENTS_APPLIED = Counter("ordersys_subscriber_events_applied",
                                    "Events a subscriber applied and committed (live runs and rebuilds).",
                                    labelnames=["subscriber"])
SUBSCRIBER_RUN_FAILURES = Counter("ordersys_subscriber_run_failures",
                                  "Catch-up runs that stopped on an error (usually the event store or Redis down).",
                                  labelnames=["subscriber", "error"])
