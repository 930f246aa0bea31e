"""The entry point the Celery tasks call: catch one subscriber up, if nobody else is doing it.

A nudge (after every command) and a beat (every second) both just call `run_subscriber`; the
message carries no events, so a lost or duplicated one changes nothing. A run that finds the
lock held returns at once (busy): the holder is already catching up, and it looks at the store
once more after letting go, so an event written while it was finishing is not left waiting for
the next beat.
"""
from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime

import redis

from eventlog.backoff import Backoff
from eventlog.ports import EventStorePort
from eventlog.subscriptions import keys
from eventlog.subscriptions.base import Subscriber
from eventlog.subscriptions.catchup import OnCommit, Progress, Target, catch_up
from eventlog.subscriptions.checkpoints import live_generation, read_checkpoint
from eventlog.subscriptions.lock import Lease
from eventlog.subscriptions.metrics import SUBSCRIBER_RUN_FAILURES

DEFAULT_LOCK_TTL = 5.0  # renewed every TTL/3 while working; a crashed holder blocks others this long
MAX_ROUNDS = 5  # lock/catch-up/release rounds per call; beyond that the next nudge or beat goes on


@dataclass(frozen=True, slots=True)
class RunResult:
    """What one call did."""

    name: str
    applied: int = 0  # events handled and committed
    parked: int = 0  # events dead-lettered and passed (policy "park")
    skipped: int = 0  # events of a type no registered class knows, gone past
    checkpoint: int | None = None  # the live generation's checkpoint when the call ended
    generation: int = 1
    busy: bool = False  # another worker held the lock; nothing was done
    halted: bool = False  # stopped before a poison event (policy "halt")
    lost_lock: bool = False  # the lease was taken over mid-run; the uncommitted batch was dropped
    caught_up: bool = False
    last_error: str | None = None


def live_target(name: str, generation: int) -> Target:
    """The live generation of a subscriber, as the catch-up loop writes to it."""
    return Target(name=name, generation=generation, dead_letter_key=keys.dead_letters(name),
                  halt_key=keys.status(name))


def run_subscriber(subscriber: Subscriber, *, store: EventStorePort, redis_client: redis.Redis,
                   lock_ttl: float = DEFAULT_LOCK_TTL, backoff: Backoff | None = None,
                   max_batches: int | None = None, on_commit: OnCommit | None = None) -> RunResult:
    """Catch the subscriber's live generation up to the head of $all; never waits for the lock."""
    name = subscriber.spec.name
    total = RunResult(name=name)
    for _ in range(MAX_ROUNDS):
        lease = Lease(redis_client, key=keys.lock(name), fence_key=keys.fence(name), ttl=lock_ttl)
        if not lease.acquire():
            if total.applied or total.parked or total.caught_up:
                break  # we did work and someone else took over for the rest
            return _finish(redis_client, total, busy=True)
        try:
            # Read the generation under the lock: a rebuild switches it only while holding this lock.
            generation = live_generation(redis_client, name)
            try:
                progress = catch_up(subscriber, store=store, client=redis_client,
                                    target=live_target(name, generation), leases=[lease],
                                    backoff=backoff or Backoff(), max_batches=max_batches, on_commit=on_commit)
            except Exception as exc:  # the store or Redis failed: say so in status, then let the task retry
                SUBSCRIBER_RUN_FAILURES.labels(subscriber=name, error=type(exc).__name__).inc()
                _record_error(redis_client, name, exc)
                raise
        finally:
            lease.release()
        total = _add(total, progress, generation)
        if progress.halted or progress.lost_lock or not progress.caught_up:
            break
        if not _more_after(store, subscriber, read_checkpoint(redis_client, name, generation)):
            break
    return _finish(redis_client, total)


def _more_after(store: EventStorePort, subscriber: Subscriber, checkpoint: int | None) -> bool:
    """Whether a matching event arrived after the checkpoint (while we were releasing the lock)."""
    spec = subscriber.spec
    return bool(store.read_all(after=checkpoint, stream_prefixes=spec.stream_prefixes,
                               event_types=spec.event_types, limit=1, decode=False))


def _add(total: RunResult, progress: Progress, generation: int) -> RunResult:
    return RunResult(
        name=total.name, applied=total.applied + progress.applied, parked=total.parked + progress.parked,
        skipped=total.skipped + progress.skipped, checkpoint=progress.checkpoint, generation=generation,
        halted=progress.halted,
        lost_lock=progress.lost_lock, caught_up=progress.caught_up,
        last_error=progress.last_error or total.last_error,
    )


def _finish(client: redis.Redis, result: RunResult, *, busy: bool = False) -> RunResult:
    if busy:
        generation = live_generation(client, result.name)
        return RunResult(name=result.name, busy=True, generation=generation,
                         checkpoint=read_checkpoint(client, result.name, generation))
    client.hset(keys.status(result.name), mapping={
        "last_run_at": datetime.now(UTC).isoformat(),
        "last_run_applied": result.applied,
    })
    return result


def _record_error(client: redis.Redis, name: str, exc: BaseException) -> None:
    with suppress(redis.RedisError):  # if Redis itself is what failed, the raised error says enough
        client.hset(keys.status(name), mapping={"last_error": f"{type(exc).__name__}: {exc}",
                                                 "last_error_at": datetime.now(UTC).isoformat()})
