"""Blue/green rebuilds: fill generation N+1 from the start of $all while N keeps serving, then switch.

1. Under its own rebuild lock, catch generation N+1 up from position 0 with its own checkpoint;
   the live runner keeps catching N up meanwhile. The target generation, its checkpoint and the
   events done are kept in Redis, so an interrupted rebuild continues where it stopped.
2. Once a read comes back short of a full batch (nearly caught up), take the live lock too (live
   runs now return busy), catch up at least to the live generation's (now frozen) checkpoint, and
   switch the generation pointer in the same MULTI/EXEC that checks both fencing tokens. Readers
   see N until that instant and N+1 after it, never an older state. The live runner then carries
   N+1 on from its checkpoint.
3. Delete generation N's keys with SCAN + UNLINK in chunks (`delete_generation`), in a thread,
   inline, or by the caller (a Celery task).
"""
from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import partial
from typing import Any, Literal

import redis

from eventlog.backoff import Backoff
from eventlog.ports import EventStorePort
from eventlog.subscriptions import keys
from eventlog.subscriptions.base import Subscriber
from eventlog.subscriptions.catchup import Progress, Target, catch_up
from eventlog.subscriptions.checkpoints import at_or_past, live_generation, read_checkpoint
from eventlog.subscriptions.commit import commit
from eventlog.subscriptions.errors import NotRebuildableError, SubscriptionError
from eventlog.subscriptions.lock import Lease, text
from eventlog.subscriptions.partitions import ALLOWED_COUNTS, live_partition_count, scopes, subscriber_of
from eventlog.subscriptions.runner import DEFAULT_LOCK_TTL, run_subscriber

Cleanup = Literal["thread", "inline", "none"]
DELETE_CHUNK = 500


@dataclass(frozen=True, slots=True)
class RebuildProgress:
    """For a progress bar: reported after every commit into the new generation."""

    generation: int
    done: int  # events applied into the new generation, across resumptions
    rate: float  # events per second in this call
    eta_seconds: float | None  # estimated from how far the checkpoint moved towards the head
    checkpoint: int | None
    head: int
    phase: str  # "filling" (live keeps serving) or "switching" (live lock held)


@dataclass(frozen=True, slots=True)
class RebuildResult:
    """What a rebuild call did; unless `switched`, calling again continues it."""

    name: str
    generation: int  # the generation being (or now) served by the rebuild
    old_generation: int
    switched: bool = False
    busy: bool = False  # another rebuild of this subscriber is running
    halted: bool = False  # stopped on a poison event (policy "halt"); fix, then call again
    done: int = 0
    last_error: str | None = None
    cleanup: threading.Thread | None = None  # join it to wait for the old keys to be gone


def rebuild(subscriber: Subscriber, *, store: EventStorePort, redis_client: redis.Redis,
            progress: Callable[[RebuildProgress], None] | None = None, lock_ttl: float = DEFAULT_LOCK_TTL,
            backoff: Backoff | None = None, live_lock_timeout: float = 10.0, max_batches: int | None = None,
            cleanup: Cleanup = "thread") -> RebuildResult:
    """Rebuild a subscriber's read model into a new generation and switch to it, or continue doing so."""
    spec = subscriber.spec
    if not spec.rebuildable:
        raise NotRebuildableError(f"{spec.name} is not rebuildable")
    name, client = spec.name, redis_client
    if spec.partitions > 1 or live_partition_count(client, name) > 1:
        # Imported here: the partitioned rebuild builds on this module's results and cleanup.
        from eventlog.subscriptions.partitioned_rebuild import rebuild_partitioned

        return rebuild_partitioned(subscriber, store=store, redis_client=client, progress=progress,
                                   lock_ttl=lock_ttl, backoff=backoff, live_lock_timeout=live_lock_timeout,
                                   max_batches=max_batches, cleanup=cleanup)
    rebuild_lease = Lease(client, key=keys.rebuild_lock(name), fence_key=keys.fence(name), ttl=lock_ttl)
    if not rebuild_lease.acquire():
        live = live_generation(client, name)
        return RebuildResult(name=name, generation=live + 1, old_generation=live, busy=True)
    try:
        old, target = _start_or_resume(client, name, rebuild_lease, version=spec.version)
        done_before = int(text(client.hget(keys.rebuild_state(name), "done")) or 0)
        destination = Target(name=name, generation=target, dead_letter_key=keys.rebuild_dead_letters(name, target),
                             halt_key=keys.rebuild_state(name), counter_key=keys.rebuild_state(name))
        reporter = _Reporter(progress, target, done_before, read_checkpoint(client, name, target))
        run = partial(catch_up, store=store, client=client, target=destination, backoff=backoff or Backoff())
        # Phase 1, beside the live runner: until a read comes back short of a full batch. Waiting
        # for an empty read could take for ever while events keep arriving.
        filled = run(subscriber, leases=[rebuild_lease], max_batches=max_batches, on_commit=reporter.filling,
                          until=lambda p: p.last_batch < spec.batch_size)
        result = _unfinished(name, target, old, done_before, filled)
        if filled.halted or filled.lost_lock or not (filled.caught_up or filled.last_batch < spec.batch_size):
            return result
        live_lease = Lease(client, key=keys.lock(name), fence_key=keys.fence(name), ttl=lock_ttl)
        if not live_lease.acquire_waiting(timeout=live_lock_timeout):
            return replace(result, last_error="the live subscriber kept its lock; call again")
        try:
            if live_generation(client, name) != old:
                raise SubscriptionError(f"{name}: generation switched by someone else during the rebuild")
            # Phase 2, live runner stopped: reach at least where the live generation is (readers
            # must never see the read model go back in time); newer events are the live runner's job
            # once the pointer has switched.
            live_checkpoint = read_checkpoint(client, name, old)

            def reached_live(p: Progress) -> bool:
                return live_checkpoint is None or at_or_past(p.checkpoint, live_checkpoint)

            final = run(subscriber, leases=[rebuild_lease, live_lease], on_commit=reporter.switching,
                        until=reached_live)
            result = _unfinished(name, target, old, done_before + filled.applied, final)
            if final.halted or final.lost_lock or not (final.caught_up or reached_live(final)):
                return result
            _switch(client, name, old=old, new=target, checkpoint=final.checkpoint,
                    leases=[rebuild_lease, live_lease], version=spec.version)
        finally:
            live_lease.release()
    finally:
        rebuild_lease.release()
    thread = after_switch(subscriber, store=store, client=client, old=old, cleanup=cleanup, lock_ttl=lock_ttl,
                          backoff=backoff)
    return RebuildResult(name=name, generation=target, old_generation=old, switched=True,
                         done=done_before + filled.applied + final.applied, cleanup=thread)


def after_switch(subscriber: Subscriber, *, store: EventStorePort, client: redis.Redis, old: int, cleanup: Cleanup,
                 lock_ttl: float, backoff: Backoff | None) -> threading.Thread | None:
    """Catch the new generation up and delete the old one (`cleanup`): the thread doing it, if any."""
    name = subscriber.spec.name
    # We held the live lock(s), so nudges meanwhile found them busy: catch the new generation up now.
    # The switch is done whatever happens here; a failure is in status and the beat carries on.
    with suppress(Exception):
        run_subscriber(subscriber, store=store, redis_client=client, lock_ttl=lock_ttl, backoff=backoff)
    if cleanup == "inline":
        delete_generation(client, name, old)
    elif cleanup == "thread":
        thread = threading.Thread(target=delete_generation, args=(client, name, old), daemon=True,
                                  name=f"delete:{name}:g{old}")
        thread.start()
        return thread
    return None


def delete_generation(redis_client: redis.Redis, name: str, generation: int, *, chunk: int = DELETE_CHUNK) -> int:
    """Delete every key of a generation that is not live, in every partition (SCAN + UNLINK in chunks)."""
    if generation == live_generation(redis_client, name):
        raise SubscriptionError(f"refusing to delete {name} generation {generation}: it is live")
    deleted = 0
    for pattern in (keys.generation_pattern(name, generation), keys.all_partitions_pattern(name)):
        deleted += _unlink_matching(redis_client, pattern, chunk=chunk,
                                    wanted=lambda key: _generation_of(name, key) == generation)
    redis_client.unlink(*(key for scope in every_scope(name) for key in
                          (keys.checkpoint(scope, generation), keys.rebuild_dead_letters(scope, generation))))
    return deleted


def delete_other_generations(redis_client: redis.Redis, name: str, *, keep: int,
                             chunk: int = DELETE_CHUNK) -> list[int]:
    """Delete every generation of a subscriber but `keep` (and the live one); returns those found."""
    live = live_generation(redis_client, name)
    found: set[int] = set()
    for pattern in (keys.all_generations_pattern(name), keys.all_partitions_pattern(name)):
        for key in redis_client.scan_iter(match=pattern, count=chunk):
            generation = _generation_of(name, text(key))
            if generation is not None and generation not in (keep, live):
                found.add(generation)
    for generation in sorted(found):
        delete_generation(redis_client, name, generation, chunk=chunk)
    return sorted(found)


def every_scope(name: str) -> list[str]:
    """Every key scope a subscriber can have: its own name and those of each allowed partition count."""
    return [name] + [scope for count in ALLOWED_COUNTS if count > 1 for scope in scopes(name, count)]


def _generation_of(name: str, key: str) -> int | None:
    """The generation of a read-model key of `name` or of one of its partition scopes."""
    match = _READ_MODEL_KEY.match(key)
    if match is None or subscriber_of(match["scope"]) != name:
        return None
    return int(match["generation"])


_READ_MODEL_KEY = re.compile(r"^rm:(?P<scope>\{[^}]*\}|[^:]*):g(?P<generation>\d+):")


def _unlink_matching(client: redis.Redis, pattern: str, *, chunk: int, wanted: Callable[[str], bool]) -> int:
    # UNLINK frees memory off Redis's main thread, and chunks keep each call short for other clients.
    deleted = 0
    batch: list[Any] = []
    for key in client.scan_iter(match=pattern, count=chunk):
        if not wanted(text(key)):
            continue
        batch.append(key)
        if len(batch) >= chunk:
            deleted += int(client.unlink(*batch))
            batch.clear()
    if batch:
        deleted += int(client.unlink(*batch))
    return deleted


def abandon_rebuild(redis_client: redis.Redis, name: str) -> int | None:
    """Give up a rebuild that is not running: forget its state and delete its generation's keys."""
    lease = Lease(redis_client, key=keys.rebuild_lock(name), fence_key=keys.fence(name), ttl=DEFAULT_LOCK_TTL)
    if not lease.acquire():
        raise SubscriptionError(f"{name}: a rebuild is running; stop it first")
    try:
        generation = text(redis_client.hget(keys.rebuild_state(name), "generation"))
        if generation is None or int(generation) <= live_generation(redis_client, name):
            redis_client.delete(keys.rebuild_state(name))
            return None
        redis_client.delete(keys.rebuild_state(name))
        delete_generation(redis_client, name, int(generation))
        return int(generation)
    finally:
        lease.release()


def _start_or_resume(client: redis.Redis, name: str, lease: Lease, *, version: int) -> tuple[int, int]:
    """(live generation, target generation): the target of an interrupted rebuild, or a fresh one."""
    live = live_generation(client, name)
    state_key = keys.rebuild_state(name)
    recorded = text(client.hget(state_key, "generation"))
    # A generation half filled by code of another read-model version would mix two shapes: start afresh.
    same_code = int(text(client.hget(state_key, "version")) or 1) == version
    if recorded is not None and int(recorded) > live and same_code:
        # A halt is for a human to fix; being called again is the sign it was fixed: try the event
        # again (its record comes back if it fails again, so no stale record reaches the switch).
        halted_on = text(client.hget(state_key, "halted_on"))
        if halted_on:
            client.hdel(keys.rebuild_dead_letters(name, int(recorded)), halted_on)
            client.hdel(state_key, "halted_on")
        return live, int(recorded)
    target = live + 1
    client.delete(state_key)
    # Leftovers of an abandoned attempt must not leak into the new generation, and an old
    # generation whose cleanup never ran (worker killed) goes now too.
    delete_other_generations(client, name, keep=live)
    client.hset(state_key, mapping={"generation": target, "done": 0, "version": version,
                                    "started_at": datetime.now(UTC).isoformat(), "holder": lease.value or ""})
    return live, target


def _switch(client: redis.Redis, name: str, *, old: int, new: int, checkpoint: int | None,
            leases: list[Lease], version: int) -> None:
    """Point readers at the new generation, fenced by both locks, in one MULTI/EXEC."""
    parked: dict[Any, Any] = {}

    def check(pipe: Any) -> None:
        if live_generation(pipe, name) != old:
            raise SubscriptionError(f"{name}: generation pointer moved during the switch")
        parked.clear()
        parked.update(pipe.hgetall(keys.rebuild_dead_letters(name, new)))

    def switch(pipe: Any) -> None:
        pipe.set(keys.generation_pointer(name), new)
        pipe.set(keys.built_version(name), version)  # beside the pointer, so the two never disagree
        # The new generation replayed everything, so its parked events are the whole truth now.
        pipe.delete(keys.dead_letters(name))
        if parked:
            pipe.hset(keys.dead_letters(name), mapping=parked)
        pipe.delete(keys.rebuild_dead_letters(name, new), keys.rebuild_state(name))
        pipe.hdel(keys.status(name), "halted_on")
        pipe.delete(keys.checkpoint(name, old))

    commit(client, leases=leases, name=name, generation=new, expected=checkpoint, new=checkpoint,
           extra=switch, check=check,
           watch=[keys.generation_pointer(name), keys.rebuild_dead_letters(name, new)])


def _unfinished(name: str, target: int, old: int, done_before: int, progress: Progress) -> RebuildResult:
    return RebuildResult(name=name, generation=target, old_generation=old, halted=progress.halted,
                         done=done_before + progress.applied, last_error=progress.last_error)


class _Reporter:
    """Turns catch-up progress into RebuildProgress for the caller's callback."""

    def __init__(self, callback: Callable[[RebuildProgress], None] | None, generation: int, done_before: int,
                 start_checkpoint: int | None) -> None:
        self.callback = callback
        self.generation = generation
        self.done_before = done_before
        self.start = start_checkpoint or 0
        self.started = time.monotonic()
        self.done_in_phase1 = 0

    def filling(self, progress: Progress) -> None:
        self.done_in_phase1 = progress.applied
        self._report(progress, "filling", progress.applied)

    def switching(self, progress: Progress) -> None:
        self._report(progress, "switching", self.done_in_phase1 + progress.applied)

    def _report(self, progress: Progress, phase: str, applied: int) -> None:
        if self.callback is None:
            return
        elapsed = max(1e-9, time.monotonic() - self.started)
        checkpoint = progress.checkpoint
        eta = None
        if checkpoint is not None and checkpoint > self.start and progress.head >= checkpoint:
            eta = elapsed * (progress.head - checkpoint) / (checkpoint - self.start)
        self.callback(RebuildProgress(generation=self.generation, done=self.done_before + applied,
                                      rate=applied / elapsed, eta_seconds=eta, checkpoint=checkpoint,
                                      head=progress.head, phase=phase))
