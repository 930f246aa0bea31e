"""The projections console's service: statuses, dead letters and rebuilds, with the Redis plumbing.

Admin views call these functions and never touch Redis or the event store client themselves.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache

from eventlog import connections
from eventlog.errors import EventLogError
from eventlog.subscriptions import dead_letters as letters
from eventlog.subscriptions.attention import Attention
from eventlog.subscriptions.attention import needing_attention as _needing_attention
from eventlog.subscriptions.checkpoints import live_generation
from eventlog.subscriptions.errors import SubscriptionError
from eventlog.subscriptions.status import SubscriberStatus, status
from eventlog.subscriptions.subscribers import all_subscribers, subscriber
from projections import head as published
from projections.consistency import published_freshness

REBUILD_REQUESTED_TTL = 120  # seconds a "rebuild requested" marker shows before a worker picks it up


def _requested_key(name: str) -> str:
    return f"console:rebuild-requested:{name}"


@dataclass(frozen=True, slots=True)
class ConsoleRow:
    """One subscriber as the console shows it."""

    status: SubscriberStatus
    rebuildable: bool
    rebuild_requested: bool  # asked for, not started yet (no worker has picked it up)

    @property
    def rebuild_percent(self) -> int | None:
        """How far a running rebuild got towards the head of $all, by position."""
        rebuild = self.status.rebuild
        if rebuild is None or not self.status.head:
            return None
        return min(100, int(100 * (rebuild.checkpoint or 0) / self.status.head))


def rows() -> list[ConsoleRow]:
    """Every subscriber's status, in registry order."""
    client = connections.redis()
    result = []
    for candidate in all_subscribers():
        current = status(candidate, store=connections.event_store(), redis_client=client)
        # Requested while generation N served; once a worker starts (or switched), the rebuild state says more.
        marker = client.get(_requested_key(candidate.spec.name))
        requested = current.rebuild is None and marker is not None and int(marker) == current.generation
        result.append(ConsoleRow(current, candidate.spec.rebuildable, requested))
    return result


@dataclass(frozen=True, slots=True)
class Health:
    """One subscriber on the dashboard: how far behind (published commands not applied yet), parked, halted."""

    name: str
    state: str
    lag_seconds: float | None
    lag_events: str | None  # "0", "42", "1000+"
    dead_letters: int
    halted_on: str | None


def health() -> list[Health]:
    """Every subscriber's lag, dead letters and halt, in registry order, from Redis alone (no event-store read).

    Lag is the subscriber's (slowest partition's) checkpoint against the appends the writers publish
    in Redis (projections/head.py), so the dashboard opens as fast with the event store down.
    """
    client = connections.redis()
    attention = {found.name: found for found in _needing_attention(_names(), redis_client=client)}
    result: list[Health] = []
    for name in _names():
        freshness = published_freshness(name)
        found = attention.get(name)
        halted_on = found.halted_on if found else None
        behind = freshness.events_behind
        result.append(Health(
            name, "halted" if halted_on else "behind" if behind else "current" if freshness.started else "not started",
            freshness.seconds_behind, f"{behind}+" if behind >= published.KEEP else str(behind),
            found.dead_letters if found else 0, halted_on))
    return result


def names() -> list[str]:
    """The names of every subscriber."""
    return list(_names())


@cache
def _names() -> tuple[str, ...]:
    return tuple(candidate.spec.name for candidate in all_subscribers())


def needing_attention() -> list[Attention]:
    """Subscribers that are halted or hold dead letters (one Redis round trip: fit for every admin page)."""
    return _needing_attention(_names(), redis_client=connections.redis())


def list_dead_letters(name: str) -> list[letters.DeadLetter]:
    """A subscriber's parked events, oldest first (KeyError for an unknown subscriber)."""
    subscriber(name)
    return letters.list_dead_letters(connections.redis(), name)


@dataclass(frozen=True, slots=True)
class DeadLetterRow:
    """A parked event with its stored payload (as JSON text), read back from the event store."""

    letter: letters.DeadLetter
    payload: str


def dead_letters_with_payloads(name: str) -> list[DeadLetterRow]:
    """A subscriber's parked events with what they carried, oldest first."""
    store = connections.event_store()
    result = []
    for letter in list_dead_letters(name):
        try:
            [event] = store.read_stream(letter.stream_name, from_version=letter.stream_position,
                                        to_version=letter.stream_position, decode=False)
            data = store.registry.open_stored(event.data, event_type=event.event_type)  # personal fields opened
            payload = json.dumps({"data": data, "metadata": {
                "correlation_id": str(event.metadata.correlation_id),
                "causation_id": str(event.metadata.causation_id) if event.metadata.causation_id else None,
                "actor": event.metadata.actor}}, indent=2, sort_keys=True, default=str)
        except (EventLogError, ValueError) as error:  # the event went away (deleted stream) or is unreadable
            payload = f"(payload unavailable: {error})"
        result.append(DeadLetterRow(letter, payload))
    return result


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one dead letter when retried."""

    event_id: str
    succeeded: bool
    error: str | None = None


def retry(name: str, event_ids: list[str]) -> list[Outcome]:
    """Apply parked events through their subscriber now, one by one; failures stay parked."""
    target = subscriber(name)
    client = connections.redis()
    outcomes = []
    for event_id in event_ids:
        try:
            outcome = letters.retry_dead_letter(target, event_id, store=connections.event_store(), redis_client=client)
        except SubscriptionError as error:  # not parked (any more), or a run holds the lock
            outcomes.append(Outcome(event_id, False, str(error)))
        else:
            outcomes.append(Outcome(event_id, outcome.succeeded, outcome.error))
    return outcomes


def discard(name: str, event_ids: list[str]) -> list[str]:
    """Forget parked events without applying them; returns the ids discarded."""
    subscriber(name)
    return letters.discard_dead_letters(name, event_ids, redis_client=connections.redis())


def start_rebuild(name: str) -> None:
    """Ask a worker for a blue/green rebuild of a read model (ValueError if it cannot be rebuilt)."""
    from projections.tasks import rebuild_read_model

    spec = subscriber(name).spec
    if not spec.rebuildable:
        raise ValueError(f"{name} is not a read model and cannot be rebuilt")
    client = connections.redis()
    client.set(_requested_key(name), live_generation(client, name), ex=REBUILD_REQUESTED_TTL)
    for _ in range(spec.partitions):  # one task per partition: free workers fill them side by side
        rebuild_read_model.delay(name)
