"""Load aggregates (snapshot + tail) and append their decisions; write snapshots of long streams.

Snapshots live in their own stream, `snapshot-<aggregate stream>`, kept short with `$maxCount`.
They are a cache: a snapshot written by older aggregate code (another SNAPSHOT_SCHEMA) is
ignored and the aggregate is replayed in full, and losing one only costs time.
"""
from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from uuid import uuid4

from eventlog import connections, pii
from eventlog.envelope import AppendResult, EventMetadata, NewEvent, RecordedEvent
from eventlog.errors import EventLogError, StreamNotFoundError
from eventlog.ports import EventStorePort
from orders.domain.aggregate import Aggregate, Snapshot

A = TypeVar("A", bound=Aggregate[Any])
log = logging.getLogger(__name__)

SNAPSHOT_EVERY = 100  # events between snapshots; inventory streams grow with every order
SNAPSHOT_KEEP = 3  # $maxCount of a snapshot stream
SNAPSHOT_EVENT_TYPE = "AggregateSnapshot"
SNAPSHOT_STREAM_PREFIX = "snapshot-"
_SNAPSHOT_METADATA = EventMetadata(correlation_id=uuid4(), causation_id=None, actor="system:snapshotter")


class _RecentStates:
    """The latest state this process saw of recently used streams, so a load reads only newer events.

    A cache in front of the store, never instead of it: a load still reads every event after the
    remembered version, and the append's expected version catches anyone who wrote meanwhile.
    """

    def __init__(self, size: int) -> None:
        self._states: OrderedDict[tuple[str, str], Any] = OrderedDict()  # aggregates (see `remember`)
        self._size = size
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str]) -> Any:
        with self._lock:
            state = self._states.get(key)
            if state is not None:
                self._states.move_to_end(key)
            return state

    def put(self, key: tuple[str, str], state: Any) -> None:
        with self._lock:
            known = self._states.get(key)
            if known is None or known.version <= state.version:
                self._states[key] = state
                self._states.move_to_end(key)
            while len(self._states) > self._size:
                self._states.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._states.clear()


@dataclass(frozen=True, slots=True)
class _Cached:
    """A private copy of an aggregate, and the state schema of the code that built it (another one: not used)."""

    aggregate: Aggregate[Any]
    schema: int

    @property
    def version(self) -> int:
        """The stream version the copy reflects."""
        return self.aggregate.version


# Per process: a forked child starts empty (and with its own lock, which a parent's thread may have held).
recent_states = connections.per_process("orders.repository.recent_states", lambda: _RecentStates(10_000))


@dataclass(frozen=True, slots=True)
class Loaded(Generic[A]):
    """An aggregate as loaded, with the stored events replayed on top of its snapshot."""

    aggregate: A
    tail: tuple[RecordedEvent, ...]
    snapshot_version: int | None


def snapshot_stream(stream_name: str) -> str:
    """Where the snapshots of an aggregate stream are kept."""
    return f"{SNAPSHOT_STREAM_PREFIX}{stream_name}"


class AggregateRepository:
    """The handlers' way to load and save aggregates through the event store."""

    def __init__(self, store: EventStorePort, *, snapshot_every: int = SNAPSHOT_EVERY) -> None:
        self.store = store
        self.snapshot_every = snapshot_every

    def load(self, cls: type[A], aggregate_id: object, *, as_of: int | None = None,
             use_snapshots: bool = True, use_cache: bool = True) -> Loaded[A]:
        """The aggregate at its latest version, or as of version `as_of` (time travel)."""
        if as_of is not None or not use_snapshots:
            return self._load_from_snapshot(cls, aggregate_id, as_of=as_of, use_snapshots=use_snapshots)
        stream = cls.stream_name(aggregate_id)
        cached = recent_states.get().get((self.store.url, stream)) if use_cache else None
        if isinstance(cached, _Cached) and isinstance(cached.aggregate, cls) and cached.schema == cls.SNAPSHOT_SCHEMA \
                and _still_readable(cached.aggregate):
            tail = self._read(stream, from_version=cached.version + 1, to_version=None)
            aggregate = cached.aggregate.copy()  # the cache keeps its own: a decision must never change it
            for event in tail:
                aggregate.apply(event.data)
            loaded = Loaded(aggregate, tuple(tail), cached.version)
        else:
            # Most streams (orders) never reach a snapshot: one read settles it.
            head = self._read(stream, from_version=0, to_version=None, limit=self.snapshot_every)
            if len(head) < self.snapshot_every:
                loaded = Loaded(cls.replay(aggregate_id, (event.data for event in head)), tuple(head), None)
            else:
                loaded = self._load_from_snapshot(cls, aggregate_id, as_of=None, use_snapshots=True)
        self.remember(loaded.aggregate)
        return loaded

    def _load_from_snapshot(self, cls: type[A], aggregate_id: object, *, as_of: int | None,
                            use_snapshots: bool) -> Loaded[A]:
        stream = cls.stream_name(aggregate_id)
        snapshot = self._latest_snapshot(cls, stream, as_of=as_of) if use_snapshots else None
        start = snapshot.version + 1 if snapshot else 0
        tail = [] if as_of is not None and as_of < start else self._read(stream, from_version=start,
                                                                        to_version=as_of)
        aggregate = cls.replay(aggregate_id, (event.data for event in tail), snapshot=snapshot, as_of=as_of)
        return Loaded(aggregate, tuple(tail), snapshot.version if snapshot else None)

    def remember(self, aggregate: Aggregate) -> None:
        """Keep the aggregate's state for this process's next load of it (after a load or an append)."""
        # A copy of the live object, not its snapshot() dict: converting a big state (an inventory's
        # reservations) to and from plain data on every command made each one cost O(state).
        if aggregate.exists and not aggregate.pending_events and not _partly_unavailable(aggregate):
            recent_states.get().put((self.store.url, type(aggregate).stream_name(aggregate.id)),
                                    _Cached(aggregate.copy(), schema=type(aggregate).SNAPSHOT_SCHEMA))

    def _read(self, stream: str, *, from_version: int, to_version: int | None,
              limit: int | None = None) -> list[RecordedEvent]:
        try:
            # An event of a type this code does not know must not make the aggregate unloadable: it reads
            # as an UnknownEvent, which only advances the aggregate's version.
            return self.store.read_stream(stream, from_version=from_version, to_version=to_version, limit=limit,
                                          keep_unknown=True)
        except StreamNotFoundError:
            return []

    def append(self, aggregate: Aggregate, *, event_ids: Sequence, metadata: EventMetadata | Sequence[EventMetadata],
               expected_version: int) -> AppendResult:
        """Append the aggregate's pending events at `expected_version` (NO_STREAM: new stream).

        `metadata` is shared by every event, or given per event (one per pending event).
        """
        registry = self.store.registry
        pending = aggregate.pending_events
        each = [metadata] * len(pending) if isinstance(metadata, EventMetadata) else list(metadata)
        new_events = []
        for event_id, event, event_metadata in zip(event_ids, pending, each, strict=True):
            event_type, data = registry.encode(event, subject=aggregate.data_subject)
            new_events.append(NewEvent(event_id=event_id, event_type=event_type.name,
                                       schema_version=event_type.schema_version, data=data,
                                       metadata=event_metadata))
        stream = type(aggregate).stream_name(aggregate.id)
        return self.store.append(stream, new_events, expected_version=expected_version)

    def snapshot_if_due(self, aggregate: Aggregate, *, previous_version: int) -> bool:
        """Write a snapshot when the aggregate crossed a multiple of `snapshot_every`; never raises."""
        if aggregate.version // self.snapshot_every == max(previous_version, 0) // self.snapshot_every:
            return False
        try:
            self.write_snapshot(aggregate)
        except EventLogError:  # a snapshot is only a cache: the command already succeeded
            log.warning("could not write a snapshot of %r", aggregate, exc_info=True)
            return False
        return True

    def write_snapshot(self, aggregate: Aggregate) -> None:
        """Store the aggregate's current state as its newest snapshot."""
        stream = snapshot_stream(type(aggregate).stream_name(aggregate.id))
        if self.store.stream_version(stream) is None:
            self.store.set_max_count(stream, SNAPSHOT_KEEP)
        body = json.dumps({"version": aggregate.version, "state": _sealed_state(aggregate)}).encode()
        self.store.append_unversioned(stream, [NewEvent(event_id=uuid4(), event_type=SNAPSHOT_EVENT_TYPE,
                                                        schema_version=1, data=body,
                                                        metadata=_SNAPSHOT_METADATA)])

    def _latest_snapshot(self, cls: type[Aggregate], stream: str, *, as_of: int | None) -> Snapshot | None:
        try:
            newest_first = self.store.read_stream(snapshot_stream(stream), backwards=True,
                                                  limit=SNAPSHOT_KEEP, decode=False)
        except StreamNotFoundError:
            return None
        for event in newest_first:
            body = event.data if isinstance(event.data, dict) else {}
            version, state = body.get("version"), body.get("state")
            if not isinstance(version, int) or not isinstance(state, dict) or not cls.accepts_snapshot(state):
                continue  # another shape or older aggregate code: fall back to replay
            if as_of is None or version <= as_of:
                return Snapshot(state=_opened_state(cls, state), version=version)
        return None


def _still_readable(aggregate: Aggregate) -> bool:
    """Whether a cached copy's decrypted personal state may still be used (its subject was not erased since)."""
    subject = aggregate.data_subject
    return not (aggregate.PERSONAL_STATE_FIELDS and subject) or pii.keyring().still_readable(subject)


def _partly_unavailable(aggregate: Aggregate) -> bool:
    # State read while a key could not be opened: the next load reads the store again rather than keep it.
    return bool(aggregate.PERSONAL_STATE_FIELDS) and pii.partly_unavailable(aggregate.snapshot(),
                                                                            aggregate.PERSONAL_STATE_FIELDS)


def _sealed_state(aggregate: Aggregate) -> dict[str, Any]:
    """The aggregate's snapshot with its personal fields sealed, as its events' are."""
    state = aggregate.snapshot()
    if not aggregate.PERSONAL_STATE_FIELDS:
        return state
    return pii.seal_fields(state, aggregate.PERSONAL_STATE_FIELDS, subject=aggregate.data_subject,
                           context=f"snapshot:{aggregate.KIND}")


def _opened_state(cls: type[Aggregate], state: dict[str, Any]) -> dict[str, Any]:
    if not cls.PERSONAL_STATE_FIELDS:
        return state
    return pii.open_fields(state, cls.PERSONAL_STATE_FIELDS, context=f"snapshot:{cls.KIND}")
