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

    @property
    def outdated(self) -> bool:
        """The serving generation was built by another version of the read model's code."""
        return self.version != self.built_version


def status(subscriber: Subscriber | SubscriberSpec, *, store: EventStorePort, redis_client: redis.Redis,
           lag_cap: int = LAG_COUNT_CAP) -> SubscriberStatus:
    """The status of a subscriber's live generation (and of its rebuild, if any)."""
    spec = subscriber if isinstance(subscriber, SubscriberSpec) else subscriber.spec
    name = spec.name
    fields = {text(k): text(v) for k, v in redis_client.hgetall(keys.status(name)).items()}
    generation = live_generation(redis_client, name)
    lag = measure_lag(spec, store=store, redis_client=redis_client, generation=generation, cap=lag_cap)
    holder = text(redis_client.get(keys.lock(name)))
    rebuild = _rebuild_info(redis_client, name)
    halted_on = fields.get("halted_on")
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
        dead_letters=count_dead_letters(redis_client, name), last_run_at=fields.get("last_run_at"),
        last_error=fields.get("last_error"), last_error_at=fields.get("last_error_at"), halted_on=halted_on,
        lock_holder=holder, rebuild=rebuild, version=spec.version, built_version=built_version(redis_client, name),
    )


def _rebuild_info(client: redis.Redis, name: str) -> RebuildInfo | None:
    fields = {text(k): text(v) for k, v in client.hgetall(keys.rebuild_state(name)).items()}
    if not fields.get("generation"):
        return None
    generation = int(fields["generation"])
    return RebuildInfo(generation=generation, checkpoint=read_checkpoint(client, name, generation),
                       done=int(fields.get("done") or 0), running=bool(client.exists(keys.rebuild_lock(name))),
                       halted_on=fields.get("halted_on"))
