"""The application's one door to the event store, and the only module importing esdbclient.

Works the same against EventStoreDB/KurrentDB and the embedded server (eventlog/server/):
both speak the same gRPC protocol. Moving to kurrentdbclient is a change to this file only.
"""
from __future__ import annotations

import json
import os
import queue
import re
import sys
import threading
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import esdbclient
import esdbclient.exceptions as esdb_errors
import grpc
from esdbclient import EventStoreDBClient, StreamState

from eventlog.envelope import NO_STREAM, AppendResult, EventMetadata, NewEvent, RecordedEvent, aggregate_id_of
from eventlog.errors import (
    ConcurrencyError,
    EventDecodeError,
    EventStoreUnavailableError,
    StreamDeletedError,
    StreamNotFoundError,
)
from eventlog.ports import all_in_batches
from eventlog.registry import DecodePlace, EventRegistry, undecoded
from eventlog.registry import registry as default_registry

# Errors that mean "the store cannot be reached right now" rather than "you asked wrongly".
_UNAVAILABLE = (
    esdb_errors.ServiceUnavailable,
    esdb_errors.DeadlineExceeded,
    esdb_errors.DiscoveryFailed,
    esdb_errors.NodeIsNotLeader,
    esdb_errors.CancelledByClient,
    esdb_errors.AbortedByServer,
)
_ACTUAL_VERSION = re.compile(r"last event is (\d+)")
DEFAULT_READ_BATCH = 1000


class EventStore:
    """Append and read events; one gRPC client per thread, created lazily (get it from eventlog.connections).

    Why per thread and not one per process: when esdbclient reconnects after an outage it closes
    the old channel under every other thread's call in flight, and their reads then end early and
    look complete. A client that only its own thread uses is only ever reconnected between calls.
    """

    def __init__(self, url: str, *, registry: EventRegistry | None = None) -> None:
        self.url = url
        self.registry = registry or default_registry
        self._local = threading.local()
        # Every live client this store made (weakly: a finished thread's client goes with it), to close them.
        self._clients: list[weakref.ref[EventStoreDBClient]] = []
        self._lock = threading.Lock()

    # -- connection ---------------------------------------------------------------------------

    @property
    def client(self) -> EventStoreDBClient:
        """This thread's client (a forked child's are reset by eventlog.connections' fork rule)."""
        local = self._local
        if getattr(local, "client", None) is None:
            with _translated_errors():
                client = EventStoreDBClient(uri=self.url)
            local.client = client
            with self._lock:
                self._clients = [ref for ref in self._clients if ref() is not None]
                self._clients.append(weakref.ref(client))
        current: EventStoreDBClient = local.client
        return current

    def _append_call(self) -> _AppendCall:
        """This thread's open BatchAppend call, opened anew after a reconnect or a failure."""
        local, client = self._local, self.client
        call: _AppendCall | None = getattr(local, "append_call", None)
        if call is None or not call.usable_with(client):
            if call is not None:
                call.close()
            call = local.append_call = _AppendCall(client)
        return call

    def close(self) -> None:
        """Close this process's clients (new ones are made on next use)."""
        with self._lock:
            mine, self._clients = [ref() for ref in self._clients], []
        self._local = threading.local()  # drops this process's open append calls (each closes as it goes)
        for client in mine:
            if client is not None:
                client.close()

    def forget_inherited_clients(self) -> None:
        """In a forked child: drop the parent's clients without closing them (the parent still uses them)."""
        self._local = threading.local()
        self._clients = []
        self._lock = threading.Lock()

    # -- writing ------------------------------------------------------------------------------

    def append(self, stream_name: str, events: Sequence[NewEvent], *,
               expected_version: int) -> AppendResult:
        """Append events if the stream is at `expected_version` (NO_STREAM: the stream must not exist)."""
        if not events:
            raise ValueError("append needs at least one event")
        if expected_version < NO_STREAM:
            raise ValueError(f"expected_version must be NO_STREAM ({NO_STREAM}) or >= 0, not {expected_version}")
        if expected_version == NO_STREAM:
            return self._append(stream_name, events, StreamState.NO_STREAM, None)
        return self._append(stream_name, events, expected_version, expected_version)

    def append_unversioned(self, stream_name: str, events: Sequence[NewEvent]) -> AppendResult:
        """Append without a version check; only for non-aggregate streams such as snapshots."""
        return self._append(stream_name, events, StreamState.ANY, None)

    def _append(self, stream_name: str, events: Sequence[NewEvent], current: Any,
                expected_version: int | None) -> AppendResult:
        wire = [_to_wire(event) for event in events]
        try:
            with _translated_errors(stream_name):
                commit_position = self._append_call().append(stream_name, current, wire)
                if commit_position is None:  # the open call broke: the same request again, the usual way
                    # Safe to resend: the events keep their ids, so the store takes them at most once.
                    commit_position = self.client.append_to_stream(stream_name, current_version=current,
                                                                   events=wire)
        except esdb_errors.WrongCurrentVersion as error:
            match = _ACTUAL_VERSION.search(str(error))
            actual = int(match.group(1)) if match else None
            raise ConcurrencyError(stream_name, expected=expected_version, actual=actual) from None
        if expected_version is not None:
            new_version = expected_version + len(events)
        elif current is StreamState.NO_STREAM:
            new_version = len(events) - 1
        else:  # unversioned: only the store knows where the stream ended up
            new_version = self.stream_version(stream_name) or 0
        return AppendResult(stream_name=stream_name, new_version=new_version, commit_position=commit_position)

    def set_max_count(self, stream_name: str, max_count: int) -> None:
        """Keep only the newest `max_count` events of a stream (EventStoreDB's $maxCount)."""
        with _translated_errors(stream_name):
            _, version = self.client.get_stream_metadata(stream_name)
            self.client.set_stream_metadata(stream_name, metadata={"$maxCount": max_count},
                                            current_version=version)

    def tombstone(self, stream_name: str) -> None:
        """Delete a stream for ever: it can never be read or written again."""
        with _translated_errors(stream_name):
            self.client.tombstone_stream(stream_name, current_version=StreamState.ANY)

    # -- reading ------------------------------------------------------------------------------

    def read_stream(self, stream_name: str, *, from_version: int = 0, to_version: int | None = None,
                    backwards: bool = False, limit: int | None = None,
                    decode: bool = True, keep_unknown: bool = False) -> list[RecordedEvent]:
        """Events of one stream in order (newest first when backwards), up to `to_version` inclusive.

        `keep_unknown`: an event of a type no registered class knows reads as an UnknownEvent instead of
        raising, for readers that must get past it (aggregate loads, timelines).
        """
        count = limit
        if backwards:
            start = to_version
        else:
            start = from_version or None
            if to_version is not None:
                span = to_version - from_version + 1
                if span <= 0:
                    return []
                count = span if limit is None else min(limit, span)
        with _translated_errors(stream_name):
            # sys.maxsize is esdbclient's own default for "no limit".
            raw = self.client.get_stream(stream_name, stream_position=start, backwards=backwards,
                                         limit=sys.maxsize if count is None else count)
        events = [self._from_wire(event, decode=decode, keep_unknown=keep_unknown) for event in raw]
        if backwards and from_version:
            events = [event for event in events if event.stream_position >= from_version]
        return events

    def stream_version(self, stream_name: str) -> int | None:
        """The version (last revision) of a stream, None if it has no events."""
        with _translated_errors(stream_name):
            version = self.client.get_current_version(stream_name)
        return None if version is StreamState.NO_STREAM else int(version)

    def read_all(self, *, after: int | None = None, stream_prefixes: Sequence[str] = (),
                 event_types: Sequence[str] = (), limit: int = DEFAULT_READ_BATCH, backwards: bool = False,
                 decode: bool = True) -> list[RecordedEvent]:
        """Up to `limit` events of $all after commit position `after` (before it when backwards).

        Filters run on the server: by stream-name prefix or by event type, not both.
        System events ($-prefixed types) are always left out.
        """
        filter_kwargs = _filter(stream_prefixes, event_types)
        # esdbclient reads from the given position inclusively; ask for one more and drop it.
        extra = 1 if after is not None else 0
        with _translated_errors():
            raw = list(self.client.read_all(commit_position=after, backwards=backwards,
                                            limit=limit + extra, **filter_kwargs))
        # Cut to the limit before decoding: the extra event may be one this caller must not decode yet.
        kept = [event for event in raw if after is None or event.commit_position != after][:limit]
        return [self._from_wire(event, decode=decode) for event in kept]

    def iter_all(self, *, after: int | None = None, stream_prefixes: Sequence[str] = (),
                 event_types: Sequence[str] = (), batch_size: int = DEFAULT_READ_BATCH,
                 decode: bool = True) -> Iterator[RecordedEvent]:
        """Every matching event of $all after `after`, read in batches until the end."""
        return all_in_batches(self, after=after, stream_prefixes=stream_prefixes, event_types=event_types,
                              batch_size=batch_size, decode=decode)

    def head_position(self) -> int:
        """The commit position of the newest non-system event in $all (0 when empty)."""
        with _translated_errors():
            return self.client.get_commit_position()

    @contextmanager
    def subscribe_all(self, *, after: int | None = None, stream_prefixes: Sequence[str] = (),
                      event_types: Sequence[str] = (), decode: bool = True,
                      timeout: float | None = None) -> Iterator[Iterator[RecordedEvent]]:
        """A catch-up subscription to $all after `after` that goes on with live events."""
        with _translated_errors():
            subscription = self.client.subscribe_to_all(commit_position=after, timeout=timeout,
                                                        **_filter(stream_prefixes, event_types))
        try:
            yield (self._from_wire(event, decode=decode) for event in _translating(subscription))
        finally:
            subscription.stop()

    # -- decoding -----------------------------------------------------------------------------

    def _from_wire(self, event: esdbclient.RecordedEvent, *, decode: bool,
                   keep_unknown: bool = False) -> RecordedEvent:
        where: DecodePlace = {"stream_name": event.stream_name, "stream_position": event.stream_position,
                 "event_type": event.type}
        try:
            meta = json.loads(event.metadata) if event.metadata else {}
            schema_version = int(meta.get("schema_version", 1))
            metadata = EventMetadata(
                correlation_id=UUID(meta["correlation_id"]) if meta.get("correlation_id") else event.id,
                causation_id=UUID(meta["causation_id"]) if meta.get("causation_id") else None,
                actor=str(meta.get("actor", "unknown")),
            )
        except (ValueError, TypeError, AttributeError) as error:
            raise EventDecodeError(f"malformed metadata ({error})", **where) from None
        if decode:
            data = self.registry.decode(event.data, event_type=event.type, schema_version=schema_version,
                                        stream_name=event.stream_name, stream_position=event.stream_position,
                                        keep_unknown=keep_unknown)
        else:  # undecoded reads show what is stored, even when it is not valid JSON
            data = undecoded(event.data)
        return RecordedEvent(
            event_id=event.id,
            event_type=event.type,
            schema_version=schema_version,
            stream_name=event.stream_name,
            aggregate_id=aggregate_id_of(event.stream_name),
            stream_position=event.stream_position,
            commit_position=event.commit_position or 0,
            recorded_at=event.recorded_at or datetime.now(UTC),
            data=data,
            metadata=metadata,
        )


class _AppendCall:
    """One thread's long-lived BatchAppend call: each append is one request on it and the reply to it.

    Why: grpcio starts two Python threads for every new streaming call (a request feeder and a
    channel poller); appends were paying that on every command. A call kept open per thread pays
    it once. One request is in flight at a time (the thread waits for its reply), so the next
    reply always answers the request just sent. Any failure of the call itself (server gone,
    channel closed, the server ending the call) makes `append` return None: the caller resends the
    same events, with the same ids, through esdbclient's ordinary path with its reconnects.
    """

    def __init__(self, client: EventStoreDBClient) -> None:
        self._streams = client.streams  # the connection it rides on; a reconnect makes a new one
        self._requests: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._replies = self._streams._stub.BatchAppend(
            iter(self._requests.get, None), timeout=None,
            metadata=self._streams._metadata(client._call_metadata, requires_leader=True),
            credentials=client._call_credentials)
        self._deadline = client._default_deadline  # DefaultDeadline of the URL: the store enforces it per request
        self._broken = False
        # A thread that ends drops its call: end the request feeder (else it waits for ever) and the call.
        # Only in this process: a forked child must not touch the gRPC state it inherited.
        weakref.finalize(self, _end_call, self._requests, self._replies, os.getpid())

    def usable_with(self, client: EventStoreDBClient) -> bool:
        """False once it failed, or when the client has reconnected since it was opened."""
        return not self._broken and client.streams is self._streams

    def append(self, stream_name: str, current: Any, events: list[esdbclient.NewEvent]) -> int | None:
        """The commit position; None when the call failed (the outcome is then unknown: resend)."""
        request = self._streams._construct_batch_append_req(stream_name=stream_name, current_version=current,
                                                            events=events, correlation_id=uuid4(),
                                                            timeout=self._deadline)
        try:
            self._requests.put(request)
            reply = next(self._replies)
        except (grpc.RpcError, StopIteration, ValueError):
            self._broken = True
            return None
        # Raises WrongCurrentVersion (and the like) for a refused append: an answer, the call stays open.
        position: int = self._streams._convert_batch_append_resp(reply, stream_name, current)
        return position

    def close(self) -> None:
        """End the call (idempotent)."""
        self._broken = True
        _end_call(self._requests, self._replies, os.getpid())


def _end_call(requests: queue.SimpleQueue[Any], replies: Any, opened_by: int) -> None:
    if os.getpid() == opened_by:
        requests.put(None)
        replies.cancel()


def _to_wire(event: NewEvent) -> esdbclient.NewEvent:
    metadata = {
        "correlation_id": str(event.metadata.correlation_id),
        "causation_id": str(event.metadata.causation_id) if event.metadata.causation_id else None,
        "actor": event.metadata.actor,
        "schema_version": event.schema_version,
    }
    return esdbclient.NewEvent(type=event.event_type, data=event.data,
                               metadata=json.dumps(metadata).encode(), id=event.event_id)


def _filter(stream_prefixes: Sequence[str], event_types: Sequence[str]) -> dict[str, Any]:
    if stream_prefixes and event_types:
        raise ValueError("filter by stream prefixes or by event types, not both")
    if stream_prefixes:
        alternatives = "|".join(re.escape(prefix) + ".*" for prefix in stream_prefixes)
        return {"filter_include": [f"(?:{alternatives})"], "filter_by_stream_name": True}
    if event_types:
        alternatives = "|".join(re.escape(name) for name in event_types)
        return {"filter_include": [f"(?:{alternatives})"], "filter_by_stream_name": False}
    return {}


@contextmanager
def _translated_errors(stream_name: str = "") -> Iterator[None]:
    try:
        yield
    except esdb_errors.NotFound:
        raise StreamNotFoundError(stream_name) from None
    except esdb_errors.StreamIsDeleted:
        raise StreamDeletedError(stream_name) from None
    except _UNAVAILABLE as error:
        raise EventStoreUnavailableError(f"event store unavailable: {type(error).__name__}: {error}") from None
    except esdb_errors.GrpcError as error:
        raise EventStoreUnavailableError(f"event store error: {type(error).__name__}: {error}") from None
    except ValueError as error:
        if "Channel closed" not in str(error):  # grpc's word for a call on a closed channel
            raise
        raise EventStoreUnavailableError(f"event store connection closed: {error}") from None


def _translating(events: Iterator[esdbclient.RecordedEvent]) -> Iterator[esdbclient.RecordedEvent]:
    with _translated_errors():
        yield from events

