"""Parked events: what failed, where, how often; and the hands-on ways out (retry, discard).

Records live in a Redis hash per subscriber (event id -> JSON). A `park` subscriber has already
moved its checkpoint past a parked event; a `halt` subscriber stays before it, with the event id
in its status hash as `halted_on`, until the event is retried successfully or discarded.
"""
from __future__ import annotations

import json
import traceback as tb
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import redis

from eventlog.envelope import RecordedEvent
from eventlog.ports import EventStorePort
from eventlog.subscriptions import keys
from eventlog.subscriptions.base import Subscriber
from eventlog.subscriptions.checkpoints import live_generation, read_checkpoint
from eventlog.subscriptions.commit import commit
from eventlog.subscriptions.errors import DeadLetterNotFoundError, SubscriberBusyError, SubscriptionError
from eventlog.subscriptions.lock import Lease, text
from eventlog.subscriptions.partitions import live_scopes
from eventlog.subscriptions.writer import BatchWriter


@dataclass(frozen=True, slots=True)
class Failure:
    """The latest error of an event that keeps failing, and how many times it failed."""

    error: str
    traceback: str
    attempts: int
    first_failed_at: str  # ISO 8601, UTC
    last_failed_at: str

    @classmethod
    def of(cls, exc: BaseException, *, previous: Failure | None = None) -> Failure:
        """A failure record for `exc`, continuing `previous` when the event failed before."""
        now = _now()
        return cls(
            error=f"{type(exc).__name__}: {exc}",
            traceback="".join(tb.format_exception(exc)),
            attempts=(previous.attempts if previous else 0) + 1,
            first_failed_at=previous.first_failed_at if previous else now,
            last_failed_at=now,
        )


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A parked event: enough to find it in the store and to understand why it failed."""

    subscriber: str
    event_id: str
    stream_name: str
    stream_position: int
    commit_position: int
    event_type: str
    error: str
    traceback: str
    attempts: int
    first_failed_at: str
    last_failed_at: str
    policy: str  # what the run did: "park" (went past it) or "halt" (stopped before it)
    generation: int

    @classmethod
    def of(cls, subscriber: str, event: RecordedEvent, failure: Failure, *, policy: str,
           generation: int) -> DeadLetter:
        """The record for an event that failed its last allowed attempt."""
        return cls(subscriber=subscriber, event_id=str(event.event_id), stream_name=event.stream_name,
                   stream_position=event.stream_position, commit_position=event.commit_position,
                   event_type=event.event_type, policy=policy, generation=generation,
                   **asdict(failure))

    def to_json(self) -> str:
        """The stored form."""
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, raw: Any) -> DeadLetter:
        """Back from the stored form."""
        return cls(**json.loads(raw))

    @property
    def failure(self) -> Failure:
        """The failure part of the record."""
        return Failure(error=self.error, traceback=self.traceback, attempts=self.attempts,
                       first_failed_at=self.first_failed_at, last_failed_at=self.last_failed_at)


@dataclass(frozen=True, slots=True)
class RetryOutcome:
    """What a hand-made retry did."""

    event_id: str
    succeeded: bool
    error: str | None = None
    resumed: bool = False  # a halted subscriber may go on now


def list_dead_letters(client: redis.Redis, name: str) -> list[DeadLetter]:
    """A subscriber's parked events (of every partition), oldest position first."""
    records = [DeadLetter.from_json(raw) for scope in _scopes(client, name)
               for raw in client.hvals(keys.dead_letters(scope))]
    return sorted(records, key=lambda record: record.commit_position)


def count_dead_letters(client: redis.Redis, name: str) -> int:
    """How many events a subscriber (or one partition, by its scope) has parked."""
    return sum(int(client.hlen(keys.dead_letters(scope))) for scope in _scopes(client, name))


def get_dead_letter(client: redis.Redis, name: str, event_id: str | UUID) -> DeadLetter:
    """One parked event, or DeadLetterNotFoundError."""
    return _find(client, name, event_id)[1]


def _scopes(client: redis.Redis, name: str) -> list[str]:
    """The key scopes of a subscriber's serving partitions (a partition's scope is its own only scope)."""
    return live_scopes(client, [name])[name]


def _find(client: redis.Redis, name: str, event_id: str | UUID) -> tuple[str, DeadLetter]:
    """The scope holding a parked event, and its record."""
    for scope in _scopes(client, name):
        raw = client.hget(keys.dead_letters(scope), str(event_id))
        if raw is not None:
            return scope, DeadLetter.from_json(raw)
    raise DeadLetterNotFoundError(f"{name} has no dead letter for event {event_id}")


def retry_dead_letter(subscriber: Subscriber, event_id: str | UUID, *, store: EventStorePort,
                      redis_client: redis.Redis, lock_ttl: float = 30.0) -> RetryOutcome:
    """Apply a parked event through the handler now, in its own transaction; drop the record on success.

    For a halted subscriber stopped on this event, success also moves its checkpoint onto the
    event, so the next run goes on after it. Raises SubscriberBusyError when a run holds the lock.
    """
    subscriber_name = subscriber.spec.name
    name, record = _find(redis_client, subscriber_name, event_id)  # from here on, the partition's scope
    with _locked(redis_client, name, lock_ttl) as lease:
        generation = live_generation(redis_client, subscriber_name)
        checkpoint = read_checkpoint(redis_client, name, generation)
        halted_here = _halted_on(redis_client, name) == record.event_id
        writer = BatchWriter(redis_client, name=name, generation=generation)
        try:
            event = _load(store, record)
            subscriber.handle(event, writer)
        except Exception as exc:  # the handler's error is the answer, not a crash of ours
            writer.discard()
            failed = replace(record, **asdict(Failure.of(exc, previous=record.failure)))
            redis_client.hset(keys.dead_letters(name), record.event_id, failed.to_json())
            return RetryOutcome(event_id=record.event_id, succeeded=False, error=failed.error)
        new = record.commit_position if halted_here else checkpoint

        def settle(pipe: Any) -> None:
            pipe.hdel(keys.dead_letters(name), record.event_id)
            if halted_here:
                pipe.hdel(keys.status(name), "halted_on")

        commit(redis_client, leases=[lease], name=name, generation=generation, expected=checkpoint, new=new,
               writer=writer, extra=settle, watch=[keys.dead_letters(name), keys.status(name)],
               check=_still_parked(name, record.event_id))
    return RetryOutcome(event_id=record.event_id, succeeded=True, resumed=halted_here)


def discard_dead_letters(subscriber: Subscriber | str, event_ids: Iterable[str | UUID], *,
                         redis_client: redis.Redis, lock_ttl: float = 30.0) -> list[str]:
    """Forget parked events without applying them; a halted subscriber skips its event and goes on.

    Returns the ids that were discarded (unknown ids are ignored).
    """
    subscriber_name = subscriber if isinstance(subscriber, str) else subscriber.spec.name
    wanted = [str(event_id) for event_id in event_ids]
    discarded: list[str] = []
    for scope in _scopes(redis_client, subscriber_name):
        discarded += _discard_in(redis_client, subscriber_name, scope, wanted, lock_ttl)
    return discarded


def _discard_in(redis_client: redis.Redis, subscriber_name: str, name: str, wanted: list[str],
                lock_ttl: float) -> list[str]:
    """Discard the wanted ids parked in one partition (`name` is its scope)."""
    if not wanted or not any(redis_client.hmget(keys.dead_letters(name), wanted)):
        return []
    with _locked(redis_client, name, lock_ttl) as lease:
        generation = live_generation(redis_client, subscriber_name)
        checkpoint = read_checkpoint(redis_client, name, generation)
        found = [(event_id, raw) for event_id, raw in
                 zip(wanted, redis_client.hmget(keys.dead_letters(name), wanted), strict=True)
                 if raw is not None]
        if not found:
            return []
        halted_on = _halted_on(redis_client, name)
        halted_record = next((DeadLetter.from_json(raw) for event_id, raw in found if event_id == halted_on), None)
        new = halted_record.commit_position if halted_record else checkpoint

        def forget(pipe: Any) -> None:
            pipe.hdel(keys.dead_letters(name), *(event_id for event_id, _ in found))
            if halted_record:
                pipe.hdel(keys.status(name), "halted_on")

        commit(redis_client, leases=[lease], name=name, generation=generation, expected=checkpoint, new=new,
               extra=forget, watch=[keys.dead_letters(name), keys.status(name)])
    return [event_id for event_id, _ in found]


def discard_all_dead_letters(subscriber: Subscriber | str, *, redis_client: redis.Redis) -> list[str]:
    """Forget every parked event of a subscriber."""
    name = subscriber if isinstance(subscriber, str) else subscriber.spec.name
    ids = [text(event_id) for scope in _scopes(redis_client, name) for event_id in
           redis_client.hkeys(keys.dead_letters(scope))]
    return discard_dead_letters(name, ids, redis_client=redis_client)


def _load(store: EventStorePort, record: DeadLetter) -> RecordedEvent:
    """The parked event, read again from the store (decoded with today's registry and upcasters)."""
    events = store.read_stream(record.stream_name, from_version=record.stream_position,
                               to_version=record.stream_position)
    if not events or str(events[0].event_id) != record.event_id:
        raise SubscriptionError(f"event {record.event_id} is no longer at {record.stream_name}@"
                                f"{record.stream_position}")
    return events[0]


def _halted_on(client: redis.Redis, name: str) -> str | None:
    return text(client.hget(keys.status(name), "halted_on"))


def _still_parked(name: str, event_id: str) -> Callable[[Any], None]:
    """A commit check: the record must still be there (two people retrying at once apply it once)."""

    def check(pipe: Any) -> None:
        if not pipe.hexists(keys.dead_letters(name), event_id):
            raise DeadLetterNotFoundError(f"{name}: dead letter {event_id} went away meanwhile")
    return check


class _locked:
    """The subscriber's lock for a hand-made repair; busy means a run is on it right now."""

    def __init__(self, client: redis.Redis, name: str, ttl: float) -> None:
        self.lease = Lease(client, key=keys.lock(name), fence_key=keys.fence(name), ttl=ttl)

    def __enter__(self) -> Lease:
        # A run holds the lock for a short catch-up; wait a little rather than fail at once.
        if not self.lease.acquire_waiting(timeout=2.0):
            raise SubscriberBusyError(f"{self.lease.key} is held by {text(self.lease.client.get(self.lease.key))}")
        return self.lease

    def __exit__(self, *exc: object) -> None:
        self.lease.release()


def _now() -> str:
    return datetime.now(UTC).isoformat()
