"""The event store's interface, which the gRPC-backed store and the in-memory double both provide.

Code that only needs "an event store" (dispatch, the repository, process managers, subscriptions)
is annotated with `EventStorePort`, so tests may hand it an `InMemoryEventStore` without it being
an `EventStore` subclass.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Protocol

from eventlog.envelope import AppendResult, NewEvent, RecordedEvent
from eventlog.registry import EventRegistry


class EventStorePort(Protocol):
    """Append with an expected version, read streams and $all, follow $all."""

    # Identifies the store (the repository keys its cache of aggregate states by it).
    url: str
    registry: EventRegistry

    def close(self) -> None:
        """Release connections held by this process."""

    def append(self, stream_name: str, events: Sequence[NewEvent], *,
               expected_version: int) -> AppendResult:
        """Append events if the stream is at `expected_version` (NO_STREAM: the stream must not exist)."""

    def append_unversioned(self, stream_name: str, events: Sequence[NewEvent]) -> AppendResult:
        """Append without a version check; only for non-aggregate streams such as snapshots."""

    def set_max_count(self, stream_name: str, max_count: int) -> None:
        """Keep only the newest `max_count` events of a stream (EventStoreDB's $maxCount)."""

    def tombstone(self, stream_name: str) -> None:
        """Delete a stream for ever: it can never be read or written again."""

    def read_stream(self, stream_name: str, *, from_version: int = ..., to_version: int | None = ...,
                    backwards: bool = ..., limit: int | None = ...,
                    decode: bool = ..., keep_unknown: bool = ...) -> list[RecordedEvent]:
        """Events of one stream in order (newest first when backwards), up to `to_version` inclusive."""

    def stream_version(self, stream_name: str) -> int | None:
        """The version (last revision) of a stream, None if it has no events."""

    def read_all(self, *, after: int | None = ..., stream_prefixes: Sequence[str] = ...,
                 event_types: Sequence[str] = ..., limit: int = ..., backwards: bool = ...,
                 decode: bool = ...) -> list[RecordedEvent]:
        """Up to `limit` events of $all after commit position `after` (before it when backwards)."""

    def iter_all(self, *, after: int | None = ..., stream_prefixes: Sequence[str] = ...,
                 event_types: Sequence[str] = ..., batch_size: int = ...,
                 decode: bool = ...) -> Iterator[RecordedEvent]:
        """Every matching event of $all after `after`, read in batches until the end."""

    def head_position(self) -> int:
        """The commit position of the newest non-system event in $all (0 when empty)."""

    def subscribe_all(self, *, after: int | None = ..., stream_prefixes: Sequence[str] = ...,
                      event_types: Sequence[str] = ..., decode: bool = ...,
                      timeout: float | None = ...) -> AbstractContextManager[Iterator[RecordedEvent]]:
        """A catch-up subscription to $all after `after` that goes on with live events (a context manager)."""


def all_in_batches(store: EventStorePort, *, after: int | None, stream_prefixes: Sequence[str],
                   event_types: Sequence[str], batch_size: int, decode: bool) -> Iterator[RecordedEvent]:
    """Every matching event of $all after `after`, read `batch_size` at a time until the end."""
    while True:
        batch = store.read_all(after=after, stream_prefixes=stream_prefixes, event_types=event_types,
                               limit=batch_size, decode=decode)
        yield from batch
        if len(batch) < batch_size:
            return
        after = batch[-1].commit_position
