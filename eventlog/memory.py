"""An in-memory event store with the same interface and behaviour as `eventlog.store.EventStore`.

For unit tests that need no servers: handlers, process managers and projections run over it in
milliseconds. `tests/contract` runs the same suite against it and against the real store, so
where the two could differ (expected versions, idempotent re-appends, windows of a stream read,
exclusive `$all` positions, regex filters) this double is held to what the server does.
"""
from __future__ import annotations

import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

from eventlog.envelope import NO_STREAM, AppendResult, NewEvent, RecordedEvent, aggregate_id_of
from eventlog.errors import ConcurrencyError, EventStoreUnavailableError, StreamDeletedError, StreamNotFoundError
from eventlog.ports import all_in_batches
from eventlog.registry import EventRegistry, undecoded
from eventlog.registry import registry as default_registry

DEFAULT_READ_BATCH = 1000


@dataclass(frozen=True, slots=True)
class _Stored:
    """One event as the store keeps it: the appended event and where it landed."""

    event: NewEvent
    stream_name: str
    stream_position: int
    commit_position: int
    recorded_at: datetime


@dataclass(slots=True)
class _Stream:
    events: list[_Stored] = field(default_factory=list)
    max_count: int | None = None
    tombstoned: bool = False

    @property
    def last(self) -> int:
        return len(self.events) - 1

    def visible(self) -> list[_Stored]:
        """The events a read may return ($maxCount hides the oldest ones, as on the server)."""
        if self.max_count is not None and self.max_count > 0:
            return self.events[-self.max_count:]
        return self.events


class InMemoryEventStore:
    """Append and read events kept in this process; nothing is persisted."""

    def __init__(self, *, registry: EventRegistry | None = None) -> None:
        # A unique url: the repository keys its per-process cache of aggregate states by the store's url.
        self.url = f"memory://{uuid.uuid4()}"
        self.registry = registry or default_registry
        self._streams: dict[str, _Stream] = {}
        self._all: list[_Stored] = []
        self._changed = threading.Condition()

    def close(self) -> None:
        """Nothing to close; here for interface parity."""

    # -- writing ------------------------------------------------------------------------------

    def append(self, stream_name: str, events: Sequence[NewEvent], *,
               expected_version: int) -> AppendResult:
        """Append events if the stream is at `expected_version` (NO_STREAM: the stream must not exist)."""
        if not events:
            raise ValueError("append needs at least one event")
        if expected_version < NO_STREAM:
            raise ValueError(f"expected_version must be NO_STREAM ({NO_STREAM}) or >= 0, not {expected_version}")
        # Below, None stands for "no stream" as in ConcurrencyError's `expected` and `actual`.
        expected = None if expected_version == NO_STREAM else expected_version
        with self._changed:
            stream = self._writable(stream_name)
            last = stream.last
            if expected is None and last >= 0:
                return self._idempotent(stream_name, stream, 0, events, expected=None)
            if expected is not None and expected != last:
                if 0 <= expected < last:
                    return self._idempotent(stream_name, stream, expected + 1, events,
                                            expected=expected)
                raise ConcurrencyError(stream_name, expected=expected, actual=None if last < 0 else last)
            position = self._write(stream_name, stream, events)
        return AppendResult(stream_name=stream_name, new_version=last + len(events), commit_position=position)

    def append_unversioned(self, stream_name: str, events: Sequence[NewEvent]) -> AppendResult:
        """Append without a version check; only for non-aggregate streams such as snapshots."""
        if not events:
            raise ValueError("append needs at least one event")
        with self._changed:
            stream = self._writable(stream_name)
            first_id = events[0].event_id
            for stored in stream.events:
                if stored.event.event_id == first_id:  # a retry of an earlier append, as on the server
                    return self._idempotent(stream_name, stream, stored.stream_position, events, expected=None)
            self._write(stream_name, stream, events)
            return AppendResult(stream_name=stream_name, new_version=stream.last,
                                commit_position=stream.events[-1].commit_position)

    def set_max_count(self, stream_name: str, max_count: int) -> None:
        """Keep only the newest `max_count` events of a stream (EventStoreDB's $maxCount)."""
        with self._changed:
            self._writable(stream_name).max_count = max_count

    def tombstone(self, stream_name: str) -> None:
        """Delete a stream for ever: it can never be read or written again."""
        with self._changed:
            self._writable(stream_name).tombstoned = True

    def _writable(self, stream_name: str) -> _Stream:
        stream = self._streams.setdefault(stream_name, _Stream())
        if stream.tombstoned:
            raise StreamDeletedError(stream_name)
        return stream

    def _idempotent(self, stream_name: str, stream: _Stream, start: int, events: Sequence[NewEvent], *,
                    expected: int | None) -> AppendResult:
        """The first result if these events were already written from `start` on, else a conflict."""
        end = start + len(events) - 1
        written = stream.events[start:end + 1]
        if len(written) != len(events) or any(s.event.event_id != e.event_id for s, e in zip(written, events,
                                                                                             strict=True)):
            raise ConcurrencyError(stream_name, expected=expected, actual=stream.last)
        new_version = end if expected is None else expected + len(events)
        return AppendResult(stream_name=stream_name, new_version=new_version,
                            commit_position=written[-1].commit_position)

    def _write(self, stream_name: str, stream: _Stream, events: Sequence[NewEvent]) -> int:
        now = datetime.now(UTC)
        for event in events:
            stored = _Stored(event, stream_name, stream.last + 1, len(self._all) + 1, now)
            stream.events.append(stored)
            self._all.append(stored)
        self._changed.notify_all()
        return self._all[-1].commit_position

    # -- reading ------------------------------------------------------------------------------

    def read_stream(self, stream_name: str, *, from_version: int = 0, to_version: int | None = None,
                    backwards: bool = False, limit: int | None = None,
                    decode: bool = True, keep_unknown: bool = False) -> list[RecordedEvent]:
        """Events of one stream in order (newest first when backwards), up to `to_version` inclusive.

        `keep_unknown`: an event of a type no registered class knows reads as an UnknownEvent instead of
        raising, for readers that must get past it (aggregate loads, timelines).
        """
        with self._changed:
            visible = list(self._readable(stream_name).visible())
        if backwards:
            chosen = [s for s in reversed(visible) if to_version is None or s.stream_position <= to_version]
            chosen = chosen[:limit] if limit is not None else chosen
            chosen = [s for s in chosen if s.stream_position >= from_version]
        else:
            chosen = [s for s in visible if s.stream_position >= from_version
                      and (to_version is None or s.stream_position <= to_version)]
            chosen = chosen[:limit] if limit is not None else chosen
        return [self._recorded(stored, decode=decode, keep_unknown=keep_unknown) for stored in chosen]

    def stream_version(self, stream_name: str) -> int | None:
        """The version (last revision) of a stream, None if it has no events."""
        with self._changed:
            stream = self._streams.get(stream_name)
            if stream is not None and stream.tombstoned:
                raise StreamDeletedError(stream_name)
            return None if stream is None or stream.last < 0 else stream.last

    def _readable(self, stream_name: str) -> _Stream:
        stream = self._streams.get(stream_name)
        if stream is not None and stream.tombstoned:
            raise StreamDeletedError(stream_name)
        if stream is None or stream.last < 0:
            raise StreamNotFoundError(stream_name)
        return stream

    def read_all(self, *, after: int | None = None, stream_prefixes: Sequence[str] = (),
                 event_types: Sequence[str] = (), limit: int = DEFAULT_READ_BATCH, backwards: bool = False,
                 decode: bool = True) -> list[RecordedEvent]:
        """Up to `limit` events of $all after commit position `after` (before it when backwards).

        Filters behave as on the server: by stream-name prefix or by event type, not both.
        """
        matches = _matcher(stream_prefixes, event_types)
        with self._changed:
            everything = list(self._all)
        if backwards:
            candidates = [s for s in reversed(everything) if after is None or s.commit_position < after]
        else:
            candidates = [s for s in everything if after is None or s.commit_position > after]
        chosen: list[_Stored] = []
        for stored in candidates:
            if len(chosen) >= limit:
                break
            if matches(stored):
                chosen.append(stored)
        return [self._recorded(stored, decode=decode) for stored in chosen]

    def iter_all(self, *, after: int | None = None, stream_prefixes: Sequence[str] = (),
                 event_types: Sequence[str] = (), batch_size: int = DEFAULT_READ_BATCH,
                 decode: bool = True) -> Iterator[RecordedEvent]:
        """Every matching event of $all after `after`, read in batches until the end."""
        return all_in_batches(self, after=after, stream_prefixes=stream_prefixes, event_types=event_types,
                              batch_size=batch_size, decode=decode)

    def head_position(self) -> int:
        """The commit position of the newest event in $all (0 when empty)."""
        with self._changed:
            return self._all[-1].commit_position if self._all else 0

    @contextmanager
    def subscribe_all(self, *, after: int | None = None, stream_prefixes: Sequence[str] = (),
                      event_types: Sequence[str] = (), decode: bool = True,
                      timeout: float | None = None) -> Iterator[Iterator[RecordedEvent]]:
        """A catch-up subscription to $all after `after` that goes on with live events.

        Like a gRPC deadline, `timeout` bounds the whole subscription: once it has passed with
        nothing new, the iterator raises EventStoreUnavailableError.
        """
        matches = _matcher(stream_prefixes, event_types)
        deadline = None if timeout is None else time.monotonic() + timeout

        def events() -> Iterator[RecordedEvent]:
            index = 0 if after is None else _first_after(self._all, after)
            while True:
                with self._changed:
                    while index >= len(self._all):
                        remaining = None if deadline is None else deadline - time.monotonic()
                        if remaining is not None and remaining <= 0:
                            raise EventStoreUnavailableError("event store unavailable: subscription deadline exceeded")
                        self._changed.wait(remaining)
                    stored = self._all[index]
                index += 1
                if matches(stored):
                    yield self._recorded(stored, decode=decode)

        yield events()

    # -- decoding -----------------------------------------------------------------------------

    def _recorded(self, stored: _Stored, *, decode: bool, keep_unknown: bool = False) -> RecordedEvent:
        event = stored.event
        if decode:
            data = self.registry.decode(event.data, event_type=event.event_type,
                                        schema_version=event.schema_version, stream_name=stored.stream_name,
                                        stream_position=stored.stream_position, keep_unknown=keep_unknown)
        else:  # undecoded reads show what is stored, even when it is not valid JSON
            data = undecoded(event.data)
        return RecordedEvent(
            event_id=event.event_id,
            event_type=event.event_type,
            schema_version=event.schema_version,
            stream_name=stored.stream_name,
            aggregate_id=aggregate_id_of(stored.stream_name),
            stream_position=stored.stream_position,
            commit_position=stored.commit_position,
            recorded_at=stored.recorded_at,
            data=data,
            metadata=event.metadata,
        )


def _first_after(events: list[_Stored], position: int) -> int:
    for index, stored in enumerate(events):
        if stored.commit_position > position:
            return index
    return len(events)


def _matcher(stream_prefixes: Sequence[str], event_types: Sequence[str]) -> Callable[[_Stored], bool]:
    """The server's filters as eventlog.store sends them: one regex of alternatives, matched whole."""
    if stream_prefixes and event_types:
        raise ValueError("filter by stream prefixes or by event types, not both")
    if stream_prefixes:
        by_stream = re.compile("(?:" + "|".join(re.escape(p) + ".*" for p in stream_prefixes) + ")").fullmatch
        return lambda stored: by_stream(stored.stream_name) is not None
    if event_types:
        by_type = re.compile("(?:" + "|".join(re.escape(name) for name in event_types) + ")").fullmatch
        return lambda stored: by_type(stored.event.event_type) is not None
    # Without a filter the server leaves out system events ($-prefixed types).
    return lambda stored: not stored.event.event_type.startswith("$")
