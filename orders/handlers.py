"""The one entry point for commands: load, decide, append with the expected version.

Pages, admin, API and process managers all call `dispatch`. Conflicts are retried by reloading
and deciding again (bounded, with jitter), unless the caller pinned `expected_version`: then the
conflict is theirs to show ("someone else changed this order").
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

import orders.event_types  # noqa: F401 - registers the domain events with the event log
from eventlog import connections, hooks
from eventlog.backoff import Backoff
from eventlog.correlation import current_correlation_id
from eventlog.envelope import EventMetadata
from eventlog.errors import ConcurrencyError
from eventlog.ports import EventStorePort
from orders import idempotency, metrics
from orders.catalogue import product_infos
from orders.domain.commands import Command, CreateOrder
from orders.domain.events import DomainEvent
from orders.domain.routes import CommandRoute, route_for
from orders.domain.values import Actor, ProductInfo
from orders.repository import AggregateRepository, Loaded

MAX_ATTEMPTS = 20
# Full jitter (all of each delay random): contending writers spread out instead of colliding again in lock-step.
CONFLICT_BACKOFF = Backoff(base=0.002, cap=0.25, jitter=1.0)
# Threads of one process writing the same stream queue on a striped lock instead of colliding
# in the event store; writers in other processes still meet the expected-version check.
# Per process: a lock a parent's thread held when it forked would never be released in the child.
_stream_locks = connections.per_process("orders.handlers.stream_locks",
                                        lambda: tuple(threading.Lock() for _ in range(64)))

# What CreateOrder prices its lines from: sku -> product (unknown skus absent).
Catalogue = Callable[[Iterable[str]], Mapping[str, ProductInfo]]
# For a command settling several earlier requests in one append: each event's id and metadata, from its request.
EventIdentity = Callable[[DomainEvent], tuple[UUID, EventMetadata]]


@dataclass(frozen=True, slots=True)
class CommandResult:
    """Where a command's events landed: wait for `commit_position` to read your writes."""

    stream_name: str
    new_version: int
    commit_position: int
    events: tuple[DomainEvent, ...]
    event_ids: tuple[UUID, ...]
    replayed: bool = False  # True when an idempotency key returned an earlier result


def dispatch(command: Command, *, actor: Actor, idempotency_key: str | None = None,
             expected_version: int | None = None, correlation_id: UUID | None = None,
             causation_id: UUID | None = None, store: EventStorePort | None = None,
             remember_result: bool = True, catalogue: Catalogue | None = None,
             identify_events: EventIdentity | None = None) -> CommandResult:
    """Decide `command` as `actor` and append the resulting events; see the module docstring.

    With an idempotency key, event ids derive from it. `identify_events` (instead of a key) gives each
    event its own id and metadata, for a command that answers several requests at once (a batched
    reservation keeps, per order, the id and causation the order's own reservation would have had).
    `remember_result=False` skips keeping the first result in its own stream (one read and one append
    fewer): for callers such as process managers whose repeated command is harmless anyway because the
    aggregate's state already reflects it.
    `store` and `catalogue` default to the process's event store and the product catalogue.
    """
    name = type(command).__name__
    if identify_events is not None and idempotency_key is not None:
        raise TypeError("identify_events gives every event its id: send no idempotency key with it")
    try:
        result = _dispatch(command, actor=actor, idempotency_key=idempotency_key,
                           expected_version=expected_version, correlation_id=correlation_id,
                           causation_id=causation_id, store=store, remember_result=remember_result,
                           catalogue=catalogue or product_infos, identify_events=identify_events)
    except Exception as error:
        metrics.COMMANDS.labels(name, metrics.outcome_of(error)).inc()
        raise
    metrics.COMMANDS.labels(name, metrics.outcome_of(None, replayed=result.replayed,
                                                     appended=bool(result.events))).inc()
    return result


def _dispatch(command: Command, *, actor: Actor, idempotency_key: str | None, expected_version: int | None,
              correlation_id: UUID | None, causation_id: UUID | None, store: EventStorePort | None,
              remember_result: bool, catalogue: Catalogue, identify_events: EventIdentity | None) -> CommandResult:
    store = store or connections.event_store()
    repository = AggregateRepository(store)
    route = route_for(command)
    context = _context_for(route, command, catalogue)
    key = idempotency.IdempotencyKey.for_command(command, actor=actor, key=idempotency_key) \
        if idempotency_key else None
    correlation_id = correlation_id or current_correlation_id() or uuid4()  # a request id when in a request
    metadata = EventMetadata(correlation_id=correlation_id, causation_id=causation_id,
                             actor=f"{actor.kind}:{actor.id}")
    if key is not None and remember_result:
        first = idempotency.find_record(store, key)
        if first is not None:
            return _replayed(store, first)

    stream_locks = _stream_locks.get()
    stream_lock = stream_locks[hash(route.stream_name(command)) % len(stream_locks)]
    for attempt in range(MAX_ATTEMPTS):
        # A new order's stream is almost always new: try appending without reading it first.
        optimistic_create = route.creates and attempt == 0 and expected_version is None
        with stream_lock:
            result = _attempt(command, route, repository, actor=actor, key=key, context=context,
                              metadata=metadata, expected_version=expected_version,
                              optimistic_create=optimistic_create, identify_events=identify_events)
        if result is None:
            time.sleep(CONFLICT_BACKOFF.delay(attempt + 1))
            continue
        if key is not None and remember_result:
            first = idempotency.FirstResult(result.stream_name, result.new_version, result.commit_position,
                                            result.event_ids)
            idempotency.write_record(store, key, first, metadata=metadata)
        if result.events and not result.replayed:
            hooks.appended(result)  # the read side listens (projections nudge their workers)
        return result
    raise ContentionError(route.stream_name(command), attempts=MAX_ATTEMPTS)


class ContentionError(ConcurrencyError):
    """Other writers kept changing the stream; the command gave up after its bounded retries."""

    def __init__(self, stream_name: str, *, attempts: int) -> None:
        Exception.__init__(self, f"stream {stream_name!r} kept changing; gave up after {attempts} attempts")
        self.stream_name, self.expected, self.actual = stream_name, None, None


def _attempt(command: Command, route: CommandRoute, repository: AggregateRepository, *, actor: Actor,
             key: idempotency.IdempotencyKey | None, context: dict[str, Any], metadata: EventMetadata,
             expected_version: int | None, optimistic_create: bool,
             identify_events: EventIdentity | None = None) -> CommandResult | None:
    """One load-decide-append round; None when another writer got in first and a retry may succeed."""
    if optimistic_create:  # if the stream exists after all, the append conflicts and we retry with a load
        loaded = Loaded(route.aggregate(route.aggregate_id(command)), (), None)
    else:
        loaded = repository.load(route.aggregate, route.aggregate_id(command))
    aggregate = loaded.aggregate
    if expected_version is not None and aggregate.version != expected_version:
        raise ConcurrencyError(route.stream_name(command), expected=expected_version,
                               actual=aggregate.version if aggregate.exists else None)
    if key is not None:
        first = idempotency.find_in_tail(loaded.tail, key)
        if first is not None:  # appended by an earlier attempt that died before recording it
            return _replayed(repository.store, first)
    previous_version = aggregate.version
    aggregate = route.execute(command, aggregate=aggregate, actor=actor, **context)
    pending = aggregate.pending_events
    if not pending:  # a no-op decision (e.g. a reservation already held): nothing to append
        last_position = loaded.tail[-1].commit_position if loaded.tail else 0
        return CommandResult(route.stream_name(command), aggregate.version, last_position, (), ())
    each_metadata: EventMetadata | list[EventMetadata] = metadata
    if identify_events is not None:
        identities = [identify_events(event) for event in pending]
        event_ids, each_metadata = [event_id for event_id, _ in identities], [meta for _, meta in identities]
    else:
        event_ids = key.event_ids(len(pending)) if key else [uuid4() for _ in pending]
    try:
        with metrics.APPEND_SECONDS.time():
            appended = repository.append(aggregate, event_ids=event_ids, metadata=each_metadata,
                                         expected_version=aggregate.expected_version)
    except ConcurrencyError:
        if expected_version is not None:
            raise
        return None
    aggregate.collect_events()
    repository.remember(aggregate)
    repository.snapshot_if_due(aggregate, previous_version=previous_version)
    return CommandResult(appended.stream_name, appended.new_version, appended.commit_position,
                         tuple(pending), tuple(event_ids))


def _context_for(route: CommandRoute, command: Command, catalogue: Catalogue) -> dict[str, Any]:
    if "products" in route.needs:
        assert isinstance(command, CreateOrder)
        return {"products": catalogue(line.sku for line in command.lines)}
    return {}


def _replayed(store: EventStorePort, first: idempotency.FirstResult) -> CommandResult:
    ids = set(first.event_ids)
    start = first.new_version - len(first.event_ids) + 1
    events = [e for e in store.read_stream(first.stream_name, from_version=start, to_version=first.new_version)
              if e.event_id in ids]
    return CommandResult(first.stream_name, first.new_version, first.commit_position,
                         tuple(e.data for e in events), first.event_ids, replayed=True)

