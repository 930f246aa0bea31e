"""The catch-up loop shared by live runs and rebuilds: read a batch, apply, commit, until the head.

Per batch: every event goes through the handler into one BatchWriter; the writes and the new
checkpoint commit together (commit.py). An event whose handler raises is rolled back on its own
(savepoint), the events before it commit first, then it is retried with backoff in a fresh
writer; after its last attempt it becomes a dead letter and the policy decides: park (checkpoint
moves past it in the same transaction as the record) or halt (checkpoint stays before it).

An event whose type no registered event class knows (written by newer code, another service or
by hand) is nobody's business here: every subscriber goes past it, counts it and warns once per
type, so it can never stop the shop. A known type that cannot be decoded is a poison event.
"""
from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import redis
import structlog

from eventlog.backoff import Backoff
from eventlog.envelope import RecordedEvent
from eventlog.errors import EventDecodeError, EventStoreUnavailableError
from eventlog.ports import EventStorePort
from eventlog.subscriptions.base import Subscriber
from eventlog.subscriptions.checkpoints import read_checkpoint
from eventlog.subscriptions.commit import commit
from eventlog.subscriptions.dead_letters import DeadLetter, Failure
from eventlog.subscriptions.errors import LockLostError
from eventlog.subscriptions.lock import Lease, text
from eventlog.subscriptions.metrics import (
    EVENTS_DEAD_LETTERED,
    EVENTS_SKIPPED,
    SUBSCRIBER_BATCHES,
    SUBSCRIBER_EVENTS_APPLIED,
)
from eventlog.subscriptions.partitions import Partition
from eventlog.subscriptions.writer import BatchWriter

log = logging.getLogger(__name__)
_warned: set[tuple[str, str]] = set()  # (subscriber, event type) pairs already logged by this process
_warned_lock = threading.Lock()

# An outage of what a handler talks to (a process manager appends through the store) is not the
# event's fault: the run stops before the event (what came before it commits) and fails loudly,
# and the next nudge or beat tries it again. Counting it as a failed attempt would park or halt a
# perfectly good event during a few seconds of downtime, and halted needs a human.
OUTAGES: tuple[type[BaseException], ...] = (EventStoreUnavailableError, redis.exceptions.ConnectionError,
                                            redis.exceptions.TimeoutError)


@dataclass(frozen=True, slots=True)
class Target:
    """Where a catch-up writes: the live generation, or the one a rebuild is filling."""

    name: str
    generation: int
    dead_letter_key: str  # hash receiving parked events
    halt_key: str  # hash whose `halted_on` field stops the loop
    counter_key: str | None = None  # hash whose `done` field counts applied events (rebuild progress)
    partition: Partition | None = None  # the part of the subscriber's events to read (None: all of them)


@dataclass(slots=True)
class Progress:
    """Running totals of one catch-up, handed to the per-commit callback."""

    applied: int = 0
    parked: int = 0
    batches: int = 0
    checkpoint: int | None = None
    head: int = 0
    caught_up: bool = False
    halted: bool = False
    skipped: int = 0  # events of a type no registered class knows
    lost_lock: bool = False
    last_batch: int = 0  # events in the latest batch read (fewer than the batch size: nearly caught up)
    last_error: str | None = None


OnCommit = Callable[[Progress], None]


@dataclass(frozen=True, slots=True)
class _Undecodable:
    """An event the registry cannot decode: a poison event that no retry will cure."""

    event: RecordedEvent  # read undecoded, so its envelope is known
    error: EventDecodeError


def catch_up(subscriber: Subscriber, *, store: EventStorePort, client: redis.Redis, target: Target,
             leases: list[Lease], backoff: Backoff, max_batches: int | None = None,
             until: Callable[[Progress], bool] | None = None, on_commit: OnCommit | None = None,
             sleep: Callable[[float], None] = time.sleep) -> Progress:
    """Apply matching events after the target's checkpoint until caught up, halted, or the lock is lost.

    `until(progress)`, asked after each batch, may end it earlier (a rebuild's "nearly caught up").
    Caught up means a read found nothing after the checkpoint; the checkpoint then moves to the
    head position read just before, so waiters for positions this subscriber does not care about
    are answered too.
    """
    progress = Progress(checkpoint=read_checkpoint(client, target.name, target.generation))
    if text(client.hget(target.halt_key, "halted_on")):
        progress.halted = True
        return progress
    run = _Run(subscriber, store=store, client=client, target=target, leases=leases, backoff=backoff,
               progress=progress, on_commit=on_commit, sleep=sleep)
    try:
        while not any(lease.lost.is_set() for lease in leases):
            if max_batches is not None and progress.batches >= max_batches:
                break
            progress.head = store.head_position()  # before the read: everything up to it is readable
            batch = _read_batch(store, subscriber, after=progress.checkpoint, partition=target.partition)
            if not batch:
                if progress.head and (progress.checkpoint is None or progress.head > progress.checkpoint):
                    run.commit(None, new=progress.head)
                progress.caught_up = True
                break
            progress.batches += 1
            SUBSCRIBER_BATCHES.labels(subscriber=target.name).inc()
            progress.last_batch = len(batch)
            if not run.apply_batch(batch):
                break  # halted
            if until is not None and until(progress):
                break
    except LockLostError as error:
        progress.lost_lock = True
        progress.last_error = str(error)
    progress.lost_lock = progress.lost_lock or any(lease.lost.is_set() for lease in leases)
    return progress


class _Run:
    """One catch-up's state between batches."""

    def __init__(self, subscriber: Subscriber, *, store: EventStorePort, client: redis.Redis, target: Target,
                 leases: list[Lease], backoff: Backoff, progress: Progress, on_commit: OnCommit | None,
                 sleep: Callable[[float], None]) -> None:
        self.subscriber = subscriber
        self.spec = subscriber.spec
        self.store = store
        self.client = client
        self.target = target
        self.leases = leases
        self.backoff = backoff
        self.progress = progress
        self.on_commit = on_commit
        self.sleep = sleep

    def writer(self) -> BatchWriter:
        return BatchWriter(self.client, name=self.target.name, generation=self.target.generation)

    def commit(self, writer: BatchWriter | None, *, new: int | None, applied: int = 0,
               extra: Callable[[Any], None] | None = None, watch: tuple[str, ...] = ()) -> None:
        counter = self.target.counter_key

        def queue(pipe: Any) -> None:
            if counter and applied:
                pipe.hincrby(counter, "done", applied)
            if extra is not None:
                extra(pipe)

        commit(self.client, leases=self.leases, name=self.target.name, generation=self.target.generation,
               expected=self.progress.checkpoint, new=new, writer=writer, extra=queue, watch=watch)
        self.progress.checkpoint = new
        self.progress.applied += applied
        if applied:
            SUBSCRIBER_EVENTS_APPLIED.labels(subscriber=self.target.name).inc(applied)
        if self.on_commit is not None:
            self.on_commit(self.progress)

    def apply_batch(self, batch: list[RecordedEvent | _Undecodable]) -> bool:
        """Apply and commit one batch; False when the subscriber halted on a poison event."""
        prepare = getattr(self.subscriber, "prepare_batch", None)
        if prepare is not None:  # optional head start; `handle` below stays the authority, in order
            prepare([item for item in batch if not isinstance(item, _Undecodable)])
        writer, pending, position = self.writer(), 0, self.progress.checkpoint
        for item in batch:
            if isinstance(item, _Undecodable) and not self.store.registry.knows(item.event.event_type):
                self._skip(item.event)
                position = item.event.commit_position
                continue
            if isinstance(item, _Undecodable):
                event, failure = item.event, Failure.of(item.error)
            else:
                event, mark = item, writer.savepoint()
                try:
                    with handling(event, self.target.name):
                        self.subscriber.handle(event, writer)
                except OUTAGES:
                    writer.rollback(mark)
                    if pending:
                        self.commit(writer, new=position, applied=pending)
                    raise
                except Exception as exc:  # any other handler error is a failed attempt, retried below
                    writer.rollback(mark)
                    failure = Failure.of(exc)
                else:
                    pending, position = pending + 1, event.commit_position
                    continue
            if pending or position != self.progress.checkpoint:  # keep what came before, whatever happens next
                self.commit(writer, new=position, applied=pending)
            writer, pending = self.writer(), 0
            if not isinstance(item, _Undecodable):
                retried = self._retry(event, failure)
                if isinstance(retried, BatchWriter):
                    writer, pending, position = retried, 1, event.commit_position
                    continue
                failure = retried
            if not self._dead_letter(event, failure):
                return False
            position = event.commit_position
        if pending or position != self.progress.checkpoint:
            self.commit(writer, new=position, applied=pending)
        return True

    def _skip(self, event: RecordedEvent) -> None:
        """Go past an event whose type no registered class knows: count it, warn once per type."""
        name = self.target.name
        self.progress.skipped += 1
        EVENTS_SKIPPED.labels(subscriber=name, event_type=event.event_type).inc()
        with _warned_lock:
            first = (name, event.event_type) not in _warned
            _warned.add((name, event.event_type))
        if first:
            log.warning("subscriber %s skipped an event of unknown type %r at %s@%s (commit position %s); "
                        "further events of this type are skipped and only counted "
                        "(ordersys_subscriber_events_skipped_total)", name, event.event_type, event.stream_name,
                        event.stream_position, event.commit_position)

    def _retry(self, event: RecordedEvent, failure: Failure) -> BatchWriter | Failure:
        """Try a failed event again in fresh writers until it works or its attempts run out."""
        while failure.attempts < self.spec.max_attempts:
            if any(lease.lost.is_set() for lease in self.leases):
                raise LockLostError(f"{self.target.name}: lock lost while retrying {event.event_id}")
            self.sleep(self.backoff.delay(failure.attempts))
            writer = self.writer()
            try:
                with handling(event, self.target.name):
                    self.subscriber.handle(event, writer)
            except OUTAGES:
                writer.discard()
                raise
            except Exception as exc:  # another failed attempt
                writer.discard()
                failure = Failure.of(exc, previous=failure)
            else:
                return writer
        return failure

    def _dead_letter(self, event: RecordedEvent, failure: Failure) -> bool:
        """Record a poison event; park: go past it (True), halt: stay before it (False)."""
        target, policy = self.target, self.spec.policy
        record = DeadLetter.of(target.name, event, failure, policy=policy, generation=target.generation)

        def queue(pipe: Any) -> None:
            pipe.hset(target.dead_letter_key, record.event_id, record.to_json())
            fields = {"last_error": f"{event.event_type} {event.event_id}: {failure.error}",
                      "last_error_at": failure.last_failed_at}
            if policy == "halt":
                fields["halted_on"] = record.event_id
            pipe.hset(target.halt_key, mapping=fields)

        self.progress.last_error = failure.error
        EVENTS_DEAD_LETTERED.labels(subscriber=target.name, event_type=event.event_type, policy=policy).inc()
        with handling(event, target.name):
            log.error("subscriber %s %s event %s of type %r at %s@%s after %s attempt(s): %s",
                      target.name, "halted before" if policy == "halt" else "parked", event.event_id, event.event_type,
                      event.stream_name, event.stream_position, failure.attempts, failure.error)
        if policy == "halt":
            self.commit(None, new=self.progress.checkpoint, extra=queue)
            self.progress.halted = True
            return False
        self.commit(None, new=event.commit_position, extra=queue)
        self.progress.parked += 1
        return True


def handling(event: RecordedEvent, subscriber: str) -> contextlib.AbstractContextManager[Any]:
    """Bind the event's correlation id (and its id and the subscriber) to every log line while it is handled."""
    return structlog.contextvars.bound_contextvars(correlation_id=str(event.metadata.correlation_id),
                                                   event_id=str(event.event_id), subscriber=subscriber)


def _read_batch(store: EventStorePort, subscriber: Subscriber, *, after: int | None,
                partition: Partition | None = None) -> list[RecordedEvent | _Undecodable]:
    """The next batch of matching events; one that cannot be decoded ends the batch as _Undecodable."""
    spec = subscriber.spec
    prefixes, types = (spec.filter_prefixes, spec.event_types) if partition is None else \
        (partition.stream_prefixes, partition.event_types)
    try:
        return list(store.read_all(after=after, limit=spec.batch_size, stream_prefixes=prefixes, event_types=types))
    except EventDecodeError:
        pass
    # Rare path: find the bad event by reading undecoded, then decoding one event at a time.
    # (If even the envelope is unreadable, the error propagates: the run fails, loudly, in status.)
    raw = store.read_all(after=after, limit=spec.batch_size, decode=False, stream_prefixes=prefixes, event_types=types)
    batch: list[RecordedEvent | _Undecodable] = []
    for event in raw:
        try:
            decoded = store.read_all(after=after, limit=1, stream_prefixes=prefixes, event_types=types)
        except EventDecodeError as error:
            batch.append(_Undecodable(event, error))
            if store.registry.knows(event.event_type):
                break  # a poison event: what follows waits until it is dealt with
            after = event.commit_position  # an unknown type: skipped, so read on
            continue
        batch.extend(decoded)
        after = event.commit_position
    return batch
