"""Blue/green rebuild of a partitioned subscriber (or of any subscriber into another partition count).

The target generation N+1 has the spec's partition count P, whatever N has. Every caller (a
worker process) fills the partitions whose rebuild lease is free, one after another, each from the
start of $all with its own checkpoint, until a read comes back short of a full batch; so k workers
fill P partitions about k times as fast (bounded by the event store and Redis). The caller that
finds every partition filled does the switch: it takes every new partition's rebuild lease and
every live partition's lease (live runs now return busy), brings each new partition up to at
least the furthest live checkpoint (readers never see the read model go back in time), and sets
the generation pointer, the built version and the partition count in one MULTI/EXEC fenced by all
those leases. Callers that find partitions still being filled by others return `busy`; calling
again later continues. On Redis Cluster each partition's fill commits in its own slot; the switch
spans every partition's keys and needs them reachable in one transaction (see the README).
"""
from __future__ import annotations

import random
import time
from collections.abc import Callable
from contextlib import ExitStack
from datetime import UTC, datetime
from typing import Any

import redis

from eventlog.backoff import Backoff
from eventlog.ports import EventStorePort
from eventlog.subscriptions import keys
from eventlog.subscriptions.base import Subscriber
from eventlog.subscriptions.catchup import Progress, Target, catch_up
from eventlog.subscriptions.checkpoints import at_or_past, live_generation, read_checkpoint
from eventlog.subscriptions.commit import commit
from eventlog.subscriptions.errors import SubscriptionError
from eventlog.subscriptions.lock import Lease, text
from eventlog.subscriptions.partitions import Partition, live_partition_count, partitions_of
from eventlog.subscriptions.rebuild import (
    Cleanup,
    RebuildProgress,
    RebuildResult,
    after_switch,
    delete_other_generations,
    every_scope,
)
from eventlog.subscriptions.runner import DEFAULT_LOCK_TTL

FILLED = "filled"  # field of a partition's rebuild state: its first phase is done


def rebuild_partitioned(subscriber: Subscriber, *, store: EventStorePort, redis_client: redis.Redis,
                        progress: Callable[[RebuildProgress], None] | None = None,
                        lock_ttl: float = DEFAULT_LOCK_TTL, backoff: Backoff | None = None,
                        live_lock_timeout: float = 10.0, max_batches: int | None = None,
                        cleanup: Cleanup = "thread") -> RebuildResult:
    """Fill the free partitions of the new generation, and switch to it once every partition is filled."""
    spec, client = subscriber.spec, redis_client
    name = spec.name
    old, target = _start_or_resume(client, subscriber, lock_ttl=lock_ttl)
    parts = partitions_of(spec)
    backoff = backoff or Backoff()
    start = random.randrange(len(parts))  # workers started together spread out
    busy, halted, last_error = False, False, None
    for part in (parts[(start + step) % len(parts)] for step in range(len(parts))):
        if text(client.hget(keys.rebuild_state(part.scope), FILLED)):
            continue
        lease = _lease(client, part, lock_ttl)
        if not lease.acquire():
            busy = True  # another worker is filling it
            continue
        try:
            filled = catch_up(subscriber, store=store, client=client, target=_target(part, target),
                              leases=[lease], backoff=backoff, max_batches=max_batches,
                              on_commit=_reporter(progress, target, "filling"),
                              until=lambda p: p.last_batch < spec.batch_size)
            halted = halted or filled.halted
            last_error = filled.last_error or last_error
            if not (filled.halted or filled.lost_lock) and (filled.caught_up or filled.last_batch < spec.batch_size):
                client.hset(keys.rebuild_state(part.scope), FILLED, 1)
        finally:
            lease.release()
    result = RebuildResult(name=name, generation=target, old_generation=old, busy=busy, halted=halted,
                           done=_done(client, parts), last_error=last_error)
    if halted or not _all_filled(client, parts):
        return result
    switched = _switch_when_filled(subscriber, store=store, client=client, parts=parts, old=old, target=target,
                                   lock_ttl=lock_ttl, backoff=backoff, live_lock_timeout=live_lock_timeout,
                                   progress=progress)
    if isinstance(switched, tuple):  # (someone else is on it, why not switched)
        others, why = switched
        return RebuildResult(name=name, generation=target, old_generation=old, busy=busy or others,
                             done=_done(client, parts), last_error=why)
    thread = after_switch(subscriber, store=store, client=client, old=old, cleanup=cleanup, lock_ttl=lock_ttl,
                          backoff=backoff)
    return RebuildResult(name=name, generation=target, old_generation=old, switched=True, done=switched,
                         cleanup=thread)


def _start_or_resume(client: redis.Redis, subscriber: Subscriber, *, lock_ttl: float) -> tuple[int, int]:
    """(live generation, target generation): the rebuild under way with this version and P, or a fresh one.

    Several workers may call at once; the start lock makes the start happen once.
    """
    spec = subscriber.spec
    name = spec.name
    starter = Lease(client, key=keys.rebuild_start_lock(name), fence_key=keys.fence(name), ttl=lock_ttl)
    if not starter.acquire_waiting(timeout=max(lock_ttl * 2, 1.0)):
        raise SubscriptionError(f"{name}: could not take the rebuild lock to start or resume")
    try:
        live = live_generation(client, name)
        state = {text(k): text(v) for k, v in client.hgetall(keys.rebuild_state(name)).items()}
        recorded = state.get("generation")
        same_code = int(state.get("version") or 1) == spec.version and \
            int(state.get("partitions") or 1) == spec.partitions
        parts = partitions_of(spec)
        if recorded is not None and int(recorded) > live and same_code:
            for part in parts:  # being called again after a halt is the sign it was fixed: try it again
                halted_on = text(client.hget(keys.rebuild_state(part.scope), "halted_on"))
                if halted_on:
                    client.hdel(keys.rebuild_dead_letters(part.scope, int(recorded)), halted_on)
                    client.hdel(keys.rebuild_state(part.scope), "halted_on")
            return live, int(recorded)
        target = live + 1
        # Leftovers of an abandoned attempt (any P) must not leak into the new generation.
        delete_other_generations(client, name, keep=live)
        client.unlink(*(key for scope in every_scope(name) for key in
                        (keys.checkpoint(scope, target), keys.rebuild_dead_letters(scope, target))))
        client.delete(keys.rebuild_state(name), *(keys.rebuild_state(part.scope) for part in parts))
        client.hset(keys.rebuild_state(name), mapping={
            "generation": target, "done": 0, "version": spec.version, "partitions": spec.partitions,
            "started_at": datetime.now(UTC).isoformat(), "holder": starter.value or ""})
        return live, target
    finally:
        starter.release()


def _lease(client: redis.Redis, part: Partition, ttl: float) -> Lease:
    return Lease(client, key=keys.rebuild_lock(part.scope), fence_key=keys.fence(part.scope), ttl=ttl)


def _target(part: Partition, generation: int) -> Target:
    scope = part.scope
    return Target(name=scope, generation=generation, dead_letter_key=keys.rebuild_dead_letters(scope, generation),
                  halt_key=keys.rebuild_state(scope), counter_key=keys.rebuild_state(scope), partition=part)


def _all_filled(client: redis.Redis, parts: tuple[Partition, ...]) -> bool:
    pipe = client.pipeline(transaction=False)
    for part in parts:
        pipe.hget(keys.rebuild_state(part.scope), FILLED)
    return all(pipe.execute())


def _done(client: redis.Redis, parts: tuple[Partition, ...]) -> int:
    pipe = client.pipeline(transaction=False)
    for part in parts:
        pipe.hget(keys.rebuild_state(part.scope), "done")
    return sum(int(text(value) or 0) for value in pipe.execute())


def _reporter(callback: Callable[[RebuildProgress], None] | None, generation: int,
              phase: str) -> Callable[[Progress], None] | None:
    if callback is None:
        return None
    started = time.monotonic()

    def report(progress: Progress) -> None:  # one partition's progress (this caller fills one at a time)
        rate = progress.applied / max(1e-9, time.monotonic() - started)
        callback(RebuildProgress(generation=generation, done=progress.applied, rate=rate, eta_seconds=None,
                                 checkpoint=progress.checkpoint, head=progress.head, phase=phase))
    return report


def _switch_when_filled(subscriber: Subscriber, *, store: EventStorePort, client: redis.Redis,
                        parts: tuple[Partition, ...], old: int, target: int, lock_ttl: float, backoff: Backoff,
                        live_lock_timeout: float,
                        progress: Callable[[RebuildProgress], None] | None) -> int | tuple[bool, str]:
    """Stop the live partitions, bring every new one to the live state, switch; events done, or why not.

    "Why not" comes with whether another worker is on it (busy: call again later) or not (an error).
    """
    spec = subscriber.spec
    name = spec.name
    old_parts = partitions_of(spec, live_partition_count(client, name))
    with ExitStack() as stack:
        starter = Lease(client, key=keys.rebuild_start_lock(name), fence_key=keys.fence(name), ttl=lock_ttl)
        if not starter.acquire_waiting(timeout=live_lock_timeout):
            return True, "another worker is switching"
        stack.callback(starter.release)
        if live_generation(client, name) != old:
            return True, "already switched"
        rebuild_leases = [_lease(client, part, lock_ttl) for part in parts]
        live_leases = [Lease(client, key=keys.lock(part.scope), fence_key=keys.fence(part.scope), ttl=lock_ttl)
                       for part in old_parts]
        for lease in rebuild_leases + live_leases:
            if not lease.acquire_waiting(timeout=live_lock_timeout):
                return True, f"{lease.key} stayed held; call again"
            stack.callback(lease.release)
        # The live partitions are stopped: their checkpoints are frozen. Every new partition must
        # reach the furthest of them, so no reader sees the read model go back in time.
        frozen = [read_checkpoint(client, part.scope, old) for part in old_parts]
        furthest = max((c for c in frozen if c is not None), default=None)
        for part, lease in zip(parts, rebuild_leases, strict=True):
            def reached(p: Progress) -> bool:
                return furthest is None or at_or_past(p.checkpoint, furthest)

            final = catch_up(subscriber, store=store, client=client, target=_target(part, target), leases=[lease],
                             backoff=backoff, on_commit=_reporter(progress, target, "switching"), until=reached)
            if final.halted or final.lost_lock or not (final.caught_up or reached(final)):
                return False, final.last_error or f"{part.label} could not reach the live position"
        done = _done(client, parts)
        _switch(client, name=name, parts=parts, old_parts=old_parts, old=old, new=target,
                leases=[starter, *rebuild_leases, *live_leases], version=spec.version)
    return done


def _switch(client: redis.Redis, *, name: str, parts: tuple[Partition, ...], old_parts: tuple[Partition, ...],
            old: int, new: int, leases: list[Lease], version: int) -> None:
    """Point readers at the new generation and partition count, fenced by every lease, in one MULTI/EXEC."""
    parked: dict[str, dict[Any, Any]] = {}
    first = parts[0].scope
    checkpoint = read_checkpoint(client, first, new)

    def check(pipe: Any) -> None:
        if live_generation(pipe, name) != old:
            raise SubscriptionError(f"{name}: generation pointer moved during the switch")
        parked.clear()
        for part in parts:
            parked[part.scope] = pipe.hgetall(keys.rebuild_dead_letters(part.scope, new))

    def switch(pipe: Any) -> None:
        pipe.set(keys.generation_pointer(name), new)
        pipe.set(keys.built_version(name), version)  # beside the pointer, so they never disagree
        pipe.set(keys.partition_count(name), len(parts))
        for part in old_parts:  # the old partitions' records and halts belong to the old generation
            pipe.delete(keys.dead_letters(part.scope), keys.checkpoint(part.scope, old))
            pipe.hdel(keys.status(part.scope), "halted_on")
        for part in parts:  # the new generation replayed everything: its parked events are the whole truth
            pipe.delete(keys.dead_letters(part.scope))
            if parked.get(part.scope):
                pipe.hset(keys.dead_letters(part.scope), mapping=parked[part.scope])
            pipe.delete(keys.rebuild_dead_letters(part.scope, new), keys.rebuild_state(part.scope))
            pipe.hdel(keys.status(part.scope), "halted_on")
        pipe.delete(keys.rebuild_state(name))

    commit(client, leases=leases, name=first, generation=new, expected=checkpoint, new=checkpoint,
           extra=switch, check=check,
           watch=[keys.generation_pointer(name), *(keys.rebuild_dead_letters(p.scope, new) for p in parts)])
