"""The entry point the Celery tasks call: catch one subscriber up, if nobody else is doing it.

A nudge (after every command) and a beat (every second) both just call `run_subscriber`; the
message carries no events, so a lost or duplicated one changes nothing. A run that finds the
lock held returns at once (busy): the holder is already catching up, and it looks at the store
once more after letting go, so an event written while it was finishing is not left waiting for
the next beat.
"""
from __future__ import annotations

import random
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime

import redis
from redis.cluster import RedisCluster

from eventlog.backoff import Backoff
from eventlog.ports import EventStorePort
from eventlog.subscriptions import keys
from eventlog.subscriptions.base import Subscriber
from eventlog.subscriptions.catchup import OnCommit, Progress, Target, catch_up
from eventlog.subscriptions.checkpoints import live_generation, read_checkpoint
from eventlog.subscriptions.lock import Lease, text
from eventlog.subscriptions.metrics import SUBSCRIBER_RUN_FAILURES
from eventlog.subscriptions.partitions import Partition, adopt_partition_count, live_partitions
from eventlog.subscriptions.repartition import repartition

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
    partitions: tuple[RunResult, ...] = ()  # each partition's own result (name = its key scope) when split


def live_target(name: str, generation: int, partition: Partition | None = None) -> Target:
    """The live generation of a subscriber (or of one partition, `name` being its scope), as catch-up writes it."""
    return Target(name=name, generation=generation, dead_letter_key=keys.dead_letters(name),
                  halt_key=keys.status(name), partition=partition)


def run_subscriber(subscriber: Subscriber, *, store: EventStorePort, redis_client: redis.Redis,
                   lock_ttl: float = DEFAULT_LOCK_TTL, backoff: Backoff | None = None,
                   max_batches: int | None = None, on_commit: OnCommit | None = None,
                   partitions: Iterable[int] | None = None) -> RunResult:
    """Catch the subscriber's live generation up to the head of $all; never waits for a lock.

    A partitioned subscriber runs each partition whose lease is free (all of them, or those in
    `partitions`), starting at a random one, so workers nudged together spread
    over the partitions instead of queueing on the same lease; the result adds them up.
    """
    name = subscriber.spec.name
    adopt_partition_count(redis_client, subscriber.spec)
    live = live_partitions(redis_client, subscriber.spec)
    if not subscriber.spec.rebuildable and len(live) != subscriber.spec.partitions and \
            repartition(subscriber, redis_client=redis_client, lock_ttl=lock_ttl):
        live = live_partitions(redis_client, subscriber.spec)  # a process manager changes P in place
    if len(live) == 1:
        return _run_partition(subscriber, live[0], store=store, redis_client=redis_client, lock_ttl=lock_ttl,
                              backoff=backoff, max_batches=max_batches, on_commit=on_commit)
    wanted = set(range(len(live)) if partitions is None else partitions)
    start = random.randrange(len(live))
    ordered = [live[(start + step) % len(live)] for step in range(len(live))]
    results: list[RunResult] = []
    try:
        for partition in ordered:
            if partition.index in wanted:
                results.append(_run_partition(subscriber, partition, store=store, redis_client=redis_client,
                                              lock_ttl=lock_ttl, backoff=backoff, max_batches=max_batches,
                                              on_commit=on_commit))
    except Exception as exc:  # the subscriber-wide status says so too (per-partition status has the detail)
        _record_error(redis_client, name, exc)
        raise
    combined = _combined(name, results)
    if not combined.busy:  # the subscriber-wide status keeps saying when a worker last ran it
        _finish(redis_client, combined, subscriber=name)
    return combined


def _run_partition(subscriber: Subscriber, partition: Partition, *, store: EventStorePort,
                   redis_client: redis.Redis, lock_ttl: float, backoff: Backoff | None, max_batches: int | None,
                   on_commit: OnCommit | None) -> RunResult:
    """Catch one partition up (the whole subscriber when it has one), if its lease is free."""
    scope, name = partition.scope, subscriber.spec.name
    total = RunResult(name=scope)
    for _ in range(MAX_ROUNDS):
        lease = Lease(redis_client, key=keys.lock(scope), fence_key=keys.fence(scope), ttl=lock_ttl)
        if not lease.acquire():
            if total.applied or total.parked or total.caught_up:
                break  # we did work and someone else took over for the rest
            return _finish(redis_client, total, busy=True, subscriber=name)
        try:
            # Read the generation under the lock: a rebuild switches it only while holding this lock.
            generation, count = _generation_and_count(redis_client, name)
            if count != partition.count:
                break  # a rebuild switched to another partition count since we looked: the next run uses it
            try:
                progress = catch_up(subscriber, store=store, client=redis_client,
                                    target=live_target(scope, generation, partition), leases=[lease],
                                    backoff=backoff or Backoff(), max_batches=max_batches, on_commit=on_commit)
            except Exception as exc:  # the store or Redis failed: say so in status, then let the task retry
                SUBSCRIBER_RUN_FAILURES.labels(subscriber=scope, error=type(exc).__name__).inc()
                _record_error(redis_client, scope, exc)
                raise
        finally:
            lease.release()
        total = _add(total, progress, generation)
        if progress.halted or progress.lost_lock or not progress.caught_up:
            break
        if not _more_after(store, partition, read_checkpoint(redis_client, scope, generation)):
            break
    return _finish(redis_client, total, subscriber=name)


def _generation_and_count(client: redis.Redis, name: str) -> tuple[int, int]:
    """The live generation and its partition count, in one round trip (two on a Redis Cluster: two slots)."""
    wanted = (keys.generation_pointer(name), keys.partition_count(name))
    pointer, count = [client.get(key) for key in wanted] if isinstance(client, RedisCluster) else client.mget(wanted)
    return int(text(pointer)) if pointer else 1, int(text(count)) if count else 1


def _combined(name: str, results: list[RunResult]) -> RunResult:
    """One result for a partitioned subscriber: totals, and each partition's own result."""
    ran = [result for result in results if not result.busy]
    checkpoints = [result.checkpoint for result in results]
    return RunResult(
        name=name, applied=sum(r.applied for r in results), parked=sum(r.parked for r in results),
        skipped=sum(r.skipped for r in results),
        checkpoint=None if not checkpoints or None in checkpoints else min(c for c in checkpoints if c is not None),
        generation=results[0].generation if results else 1, busy=bool(results) and not ran,
        halted=any(r.halted for r in results), lost_lock=any(r.lost_lock for r in results),
        caught_up=bool(ran) and all(r.caught_up for r in ran),
        last_error=next((r.last_error for r in results if r.last_error), None), partitions=tuple(results),
    )


def _more_after(store: EventStorePort, partition: Partition, checkpoint: int | None) -> bool:
    """Whether a matching event arrived after the checkpoint (while we were releasing the lock)."""
    return bool(store.read_all(after=checkpoint, stream_prefixes=partition.stream_prefixes,
                               event_types=partition.event_types, limit=1, decode=False))


def _add(total: RunResult, progress: Progress, generation: int) -> RunResult:
    return RunResult(
        name=total.name, applied=total.applied + progress.applied, parked=total.parked + progress.parked,
        skipped=total.skipped + progress.skipped, checkpoint=progress.checkpoint, generation=generation,
        halted=progress.halted,
        lost_lock=progress.lost_lock, caught_up=progress.caught_up,
        last_error=progress.last_error or total.last_error,
    )


def _finish(client: redis.Redis, result: RunResult, *, subscriber: str, busy: bool = False) -> RunResult:
    if busy:
        generation = live_generation(client, subscriber)
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
