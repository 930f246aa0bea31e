"""Catch-up subscriptions over $all: projections and process managers are run by the same runner.

Public API (no Django here: callers pass an EventStore and a redis client):
- run_subscriber: catch one subscriber up (the Celery nudge and beat tasks call it)
- subscribers.register_subscriber / all_subscribers: what the runner feeds, registered by each app's ready()
- status / measure_lag: where a subscriber is and how far behind
- list_dead_letters / retry_dead_letter / discard_dead_letters: the way out for poison events
- rebuild / delete_generation / abandon_rebuild: blue/green rebuilds of read models
- wait_for_position: read-your-writes for pages and API calls
"""
from __future__ import annotations

from eventlog.backoff import Backoff
from eventlog.subscriptions.consistency import wait_for_position
from eventlog.subscriptions.dead_letters import (
    DeadLetter,
    RetryOutcome,
    count_dead_letters,
    discard_all_dead_letters,
    discard_dead_letters,
    get_dead_letter,
    list_dead_letters,
    retry_dead_letter,
)
from eventlog.subscriptions.errors import (
    DeadLetterNotFoundError,
    LockLostError,
    NotRebuildableError,
    SubscriberBusyError,
    SubscriptionError,
)
from eventlog.subscriptions.lag import Lag, measure_lag
from eventlog.subscriptions.rebuild import RebuildProgress, RebuildResult, abandon_rebuild, delete_generation, rebuild
from eventlog.subscriptions.runner import RunResult, run_subscriber
from eventlog.subscriptions.status import SubscriberStatus, status

__all__ = [
    "Backoff", "DeadLetter", "DeadLetterNotFoundError", "Lag", "LockLostError", "NotRebuildableError",
    "RebuildProgress", "RebuildResult", "RetryOutcome", "RunResult", "SubscriberBusyError", "SubscriberStatus",
    "SubscriptionError", "abandon_rebuild", "count_dead_letters", "delete_generation", "discard_all_dead_letters",
    "discard_dead_letters", "get_dead_letter", "list_dead_letters", "measure_lag", "rebuild", "retry_dead_letter",
    "run_subscriber", "status", "wait_for_position",
]
