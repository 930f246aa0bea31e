"""One subscriber's health at a glance: where it is, how far behind, and whether it needs a human."""
from __future__ import annotations

from dataclasses import dataclass

import redis

from eventlog.ports import EventStorePort
from eventlog.subscriptions import keys
from eventlog.subscriptions.base import Subscriber, SubscriberSpec
from eventlog.subscriptions.checkpoints import live_generation, read_checkpoint
from eventlog.subscriptions.dead_letters import count_dead_letters
from eventlog.subscriptions.lag import LAG_COUNT_CAP, measure_lag
from eventlog.subscriptions.lock import text
from eventlog.subscriptions.partitions import Partition, live_partitions, scopes
from eventlog.subscriptions.versions import built_version


@dataclass(frozen=True, slots=True)
class RebuildInfo:
    """A rebuild in progress (or interrupted and resumable)."""

    generation: int
    checkpoint: int | None
    done: int  # events applied into the new generation so far
    running: bool  # its lock is held right now
    halted_on: str | None


@dataclass(frozen=True, slots=True)
class PartitionStatus:
    """One partition of a partitioned subscriber: its own checkpoint, lag, lease and dead letters."""

    index: int
    label: str  # "orders[2/4]"
    scope: str  # its key scope (a Redis Cluster hash tag)
    state: str  # "halted" | "running" | "idle"
    checkpoint: int | None
    lag_events: int
    lag_display: str
    lag_seconds: float
    dead_letters: int
    halted_on: str | None
    lock_holder: str | None
    last_run_at: str | None
    last_error: str | None


@dataclass(frozen=True, slots=True)
class SubscriberStatus:
    """What an operator needs to know about one subscriber."""

    name: str
    state: str  # "halted" | "rebuilding" | "running" | "idle"
    generation: int
    checkpoint: int | None
    head: int
    lag_events: int
    lag_display: str  # "0", "42", "10000+"
    lag_seconds: float
    dead_letters: int
    last_run_at: str | None
    last_error: str | None
    last_error_at: str | None
    halted_on: str | None  # event id a halted subscriber stopped before
    lock_holder: str | None  # "<token> <host>:<pid>" while a run holds the lock
    rebuild: RebuildInfo | None
    version: int = 1  # the read-model version of the code at hand
    built_version: int = 1  # the version the serving generation was built with (differs: a rebuild is due)
    partition_count: int = 1  # partitions of the serving generation
    wanted_partitions: int = 1  # partitions in the code's spec (differs: a rebuild is due)
    partitions: tuple[PartitionStatus, ...] = ()  # one per partition when there is more than one

    @property
    def outdated(self) -> bool:
        """The serving generation was built by another version of the read model's code (or another P)."""
        return self.version != self.built_version or self.partition_count != self.wanted_partitions


def status(subscriber: Subscriber | SubscriberSpec, *, store: EventStorePort, redis_client: redis.Redis,
           lag_cap: int = LAG_COUNT_CAP) -> SubscriberStatus:
    """The status of a subscriber's live generation (and of its rebuild, if any)."""
    spec = subscriber if isinstance(subscriber, SubscriberSpec) else subscriber.spec
    name = spec.name
    fields = {text(k): text(v) for k, v in redis_client.hgetall(keys.status(name)).items()}
    generation = live_generation(redis_client, name)
    lag = measure_lag(spec, store=store, redis_client=redis_client, generation=generation, cap=lag_cap)
    rebuild = _rebuild_info(redis_client, name)
    parts = live_partitions(redis_client, spec)
    partitions = tuple(_partition_status(spec, part, store=store, redis_client=redis_client, generation=generation,
                                         lag_cap=lag_cap) for part in parts) if len(parts) > 1 else ()
    if partitions:
        holder = next((p.lock_holder for p in partitions if p.lock_holder), None)
        halted_on = next((p.halted_on for p in partitions if p.halted_on), None)
        dead = sum(p.dead_letters for p in partitions)
        last_run_at = max((p.last_run_at for p in partitions if p.last_run_at), default=None)
        errors = [p for p in partitions if p.last_error]
        last_error = errors[0].last_error if errors else None
        last_error_at = None
    else:
        holder = text(redis_client.get(keys.lock(name)))
        halted_on = fields.get("halted_on")
        dead = count_dead_letters(redis_client, name)
        last_run_at, last_error, last_error_at = fields.get("last_run_at"), fields.get("last_error"), \
            fields.get("last_error_at")
    if halted_on:
        state = "halted"
    elif rebuild is not None and rebuild.running:
        state = "rebuilding"
    elif holder:
        state = "running"
    else:
        state = "idle"
    return SubscriberStatus(
        name=name, state=state, generation=generation, checkpoint=lag.checkpoint, head=lag.head,
        lag_events=lag.events, lag_display=lag.display, lag_seconds=lag.seconds,
        dead_letters=dead, last_run_at=last_run_at,
        last_error=last_error, last_error_at=last_error_at, halted_on=halted_on,
        lock_holder=holder, rebuild=rebuild, version=spec.version, built_version=built_version(redis_client, name),
        partition_count=len(parts), wanted_partitions=spec.partitions, partitions=partitions,
    )


def _partition_status(spec: SubscriberSpec, part: Partition, *, store: EventStorePort, redis_client: redis.Redis,
                      generation: int, lag_cap: int) -> PartitionStatus:
    scope = part.scope
    fields = {text(k): text(v) for k, v in redis_client.hgetall(keys.status(scope)).items()}
    lag = measure_lag(spec, store=store, redis_client=redis_client, generation=generation, cap=lag_cap,
                      partition=part)
    holder = text(redis_client.get(keys.lock(scope)))
    halted_on = fields.get("halted_on")
    return PartitionStatus(
        index=part.index, label=part.label, scope=scope,
        state="halted" if halted_on else "running" if holder else "idle", checkpoint=lag.checkpoint,
        lag_events=lag.events, lag_display=lag.display, lag_seconds=lag.seconds,
        dead_letters=count_dead_letters(redis_client, scope), halted_on=halted_on, lock_holder=holder,
        last_run_at=fields.get("last_run_at"), last_error=fields.get("last_error"),
    )


def _rebuild_info(client: redis.Redis, name: str) -> RebuildInfo | None:
    fields = {text(k): text(v) for k, v in client.hgetall(keys.rebuild_state(name)).items()}
    if not fields.get("generation"):
        return None
    generation = int(fields["generation"])
    count = int(fields.get("partitions") or 1)
    if count == 1:
        return RebuildInfo(generation=generation, checkpoint=read_checkpoint(client, name, generation),
                           done=int(fields.get("done") or 0), running=bool(client.exists(keys.rebuild_lock(name))),
                           halted_on=fields.get("halted_on"))
    # A partitioned rebuild keeps its progress per partition (each under its own hash tag).
    parts = [{text(k): text(v) for k, v in client.hgetall(keys.rebuild_state(scope)).items()}
             for scope in scopes(name, count)]
    checkpoints = [read_checkpoint(client, scope, generation) for scope in scopes(name, count)]
    return RebuildInfo(generation=generation,
                       checkpoint=None if None in checkpoints else min(c for c in checkpoints if c is not None),
                       done=sum(int(part.get("done") or 0) for part in parts),
                       running=any(client.exists(keys.rebuild_lock(scope)) for scope in [name, *scopes(name, count)]),
                       halted_on=next((part["halted_on"] for part in parts if part.get("halted_on")), None))
