"""The in-memory event log: `$all`, the stream index, and the append/delete decisions.

Every committed record is kept in memory (`EventLog.all`, in position order) and indexed by
stream (revision -> record) and by event id, so expected-version checks, idempotency and reads
never query storage; storage is only written to (and read back once, at start-up).

Threads: only the writer (eventlog.server.writer) changes the log. It decides a batch of
requests in a `Batch` (an overlay on the committed state, so the requests in one batch see each
other) and, once storage has made the batch durable, `publish()`es it under `lock`. Readers (the
event loop) take `lock` for stream reads; `$all` reads need no lock because `all` only grows
and `head` is raised after a whole batch has been appended (a reader never sees half a batch).
"""
from __future__ import annotations

import json
import threading
import uuid
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from eventlog.server.records import (
    ANY,
    FIRST_POSITION,
    JSON,
    MAX_LONG,
    METADATA_TYPE,
    NO_STREAM,
    OCTET_STREAM,
    RECORD_OVERHEAD,
    STREAM_EXISTS,
    TOMBSTONE_TYPE,
    ProposedEvent,
    Record,
    WriteRequest,
    WriteResult,
    now_ticks,
)

DELETED = WriteResult("deleted")
# EventStoreDB keeps only the latest event of a metadata stream ($$name).
METASTREAM_MAX_COUNT = 1


def is_metastream(name: str) -> bool:
    """Whether a stream holds another stream's metadata ($$name)."""
    return name.startswith("$$")


def parse_metadata(data: bytes) -> dict[str, Any]:
    """Stream metadata from a $metadata event; unreadable metadata counts as none."""
    try:
        value = json.loads(data)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


class StreamIndex:
    """What the log knows about one stream."""

    __slots__ = ("name", "records", "tombstoned", "metadata")

    def __init__(self, name: str) -> None:
        self.name = name
        self.records: list[Record] = []  # index == revision (tombstones are not in here)
        self.tombstoned = False
        self.metadata: dict[str, Any] = {}  # from the latest event of $$name


@dataclass(frozen=True, slots=True)
class StreamSlice:
    """A consistent view of a stream for one read: records[first..last] are visible."""

    status: str  # "ok" | "not_found" | "deleted"
    records: Sequence[Record] = ()
    first: int = 0
    last: int = -1
    min_created: int = 0  # events created before this (in ticks) are hidden by $maxAge


class EventLog:
    """All committed records, indexed; mutated only by publish() and load()."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.all: list[Record] = []
        self.head = 0  # number of records in `all` that readers may see
        self.streams: dict[str, StreamIndex] = {}
        self.by_id: dict[str, Record] = {}
        self.next_position = FIRST_POSITION

    # --- building -------------------------------------------------------------------------

    def load(self, records: Iterable[Record]) -> None:
        """Rebuild the index from stored records (at start-up, before serving)."""
        for record in records:
            self._apply(record)
        if self.all:
            last = self.all[-1]
            self.next_position = last.position + last.size()
        self.head = len(self.all)

    def publish(self, batch: Batch) -> None:
        """Make a durable batch visible to readers and to the next batch."""
        if not batch.records:
            return
        with self.lock:
            for record in batch.records:
                self._apply(record)
            self.next_position = batch.next_position
            self.head = len(self.all)

    def _apply(self, record: Record) -> None:
        self.all.append(record)
        stream = self.streams.get(record.stream)
        if stream is None:
            stream = self.streams[record.stream] = StreamIndex(record.stream)
        if record.revision == MAX_LONG and record.type == TOMBSTONE_TYPE:
            stream.tombstoned = True
        else:
            stream.records.append(record)
            if is_metastream(record.stream):
                target = record.stream[2:]
                owner = self.streams.get(target)
                if owner is None:
                    owner = self.streams[target] = StreamIndex(target)
                owner.metadata = parse_metadata(record.data)
        self.by_id[record.event_id] = record

    def begin(self) -> Batch:
        """Start deciding a group of requests against the committed state."""
        return Batch(self)

    # --- reading --------------------------------------------------------------------------

    def last_position(self) -> int:
        """Position of the last visible record, 0 when the log is empty."""
        head = self.head
        return self.all[head - 1].position if head else 0

    def index_from(self, position: int, *, inclusive: bool) -> int:
        """Index in `all` of the first record at (or, not inclusive, after) position."""
        find = bisect_left if inclusive else bisect_right
        return find(self.all, position, hi=self.head, key=_position_of)

    def stream_slice(self, name: str) -> StreamSlice:
        """What a read of a stream may return right now, after deletes, $tb, $maxCount, $maxAge."""
        with self.lock:
            if is_metastream(name):
                owner = self.streams.get(name[2:])
                if owner is not None and owner.tombstoned:
                    return StreamSlice("deleted")
            stream = self.streams.get(name)
            if stream is None:
                return StreamSlice("not_found")
            if stream.tombstoned:
                return StreamSlice("deleted")
            records = stream.records
            last = len(records) - 1
            metadata = stream.metadata
        if last < 0:
            return StreamSlice("not_found")
        first = 0
        truncate_before = metadata.get("$tb")
        if isinstance(truncate_before, int) and not isinstance(truncate_before, bool):
            if truncate_before >= MAX_LONG:
                return StreamSlice("not_found")  # soft-deleted
            first = max(first, truncate_before)
        max_count = METASTREAM_MAX_COUNT if is_metastream(name) else metadata.get("$maxCount")
        if isinstance(max_count, int) and not isinstance(max_count, bool) and max_count > 0:
            first = max(first, last - max_count + 1)
        min_created = 0
        max_age = metadata.get("$maxAge")
        if isinstance(max_age, int) and not isinstance(max_age, bool) and max_age > 0:
            min_created = now_ticks() - max_age * 10_000_000
        return StreamSlice("ok", records, first, last, min_created)

    def stream_last(self, name: str) -> tuple[int, bool]:
        """A stream's last revision (-1 if none) and whether it is tombstoned (no lock: hints)."""
        stream = self.streams.get(name)
        if stream is None:
            return -1, False
        return len(stream.records) - 1, stream.tombstoned


def _position_of(record: Record) -> int:
    return record.position


class _View:
    """A stream as seen inside a Batch: committed records plus this batch's new ones."""

    __slots__ = ("name", "base", "new", "tombstoned", "metadata", "has_metadata")

    def __init__(self, name: str, index: StreamIndex | None, has_metadata: bool) -> None:
        self.name = name
        self.base: list[Record] = index.records if index else []
        self.new: list[Record] = []
        self.tombstoned = index.tombstoned if index else False
        self.metadata: dict[str, Any] = index.metadata if index else {}
        self.has_metadata = has_metadata

    @property
    def last(self) -> int:
        return len(self.base) + len(self.new) - 1

    @property
    def soft_deleted(self) -> bool:
        return self.metadata.get("$tb") == MAX_LONG

    def at(self, revision: int) -> Record:
        base = self.base
        return base[revision] if revision < len(base) else self.new[revision - len(base)]


class Batch:
    """Decisions for a group of write requests, applied in order on top of the committed log."""

    def __init__(self, log: EventLog) -> None:
        self.log = log
        self.records: list[Record] = []
        self.next_position = log.next_position
        self.created = now_ticks()  # one clock reading per batch: its events are committed together
        self._views: dict[str, _View] = {}
        self._new_ids: dict[str, Record] = {}

    def _view(self, name: str) -> _View:
        view = self._views.get(name)
        if view is None:
            streams = self.log.streams
            meta_name = "$$" + name
            has_metadata = meta_name in self._views and self._views[meta_name].last >= 0
            if not has_metadata:
                meta_index = streams.get(meta_name)
                has_metadata = meta_index is not None and bool(meta_index.records)
            view = self._views[name] = _View(name, streams.get(name), has_metadata)
        return view

    def _find_id(self, event_id: str) -> Record | None:
        record = self._new_ids.get(event_id)
        return record if record is not None else self.log.by_id.get(event_id)

    def apply(self, request: WriteRequest) -> WriteResult:
        """Decide one request and, if it writes, add its records to the batch."""
        view = self._view(request.stream)
        if request.kind == "append":
            return self._append(view, request.expected, request.events)
        if request.kind == "delete":
            return self._delete(view, request.expected)
        if request.kind == "tombstone":
            return self._tombstone(view, request.expected)
        raise ValueError(f"unknown write request kind {request.kind!r}")

    # --- decisions ------------------------------------------------------------------------

    def _append(self, view: _View, expected: int, events: tuple[ProposedEvent, ...]) -> WriteResult:
        if view.tombstoned:
            return DELETED
        last = view.last
        soft_deleted = view.soft_deleted and not is_metastream(view.name)
        if expected == STREAM_EXISTS and soft_deleted:
            return DELETED
        if not events:
            if _expectation_met(view, expected, soft_deleted):
                return WriteResult("ok", last, None)
            return WriteResult("wrong_version", last)
        if expected in (ANY, STREAM_EXISTS):
            if expected == STREAM_EXISTS and last < 0 and not view.has_metadata:
                return WriteResult("wrong_version", last)
            first = self._find_id(events[0].event_id)
            if first is not None and first.stream == view.name and first.revision != MAX_LONG:
                # A retry of an earlier append: succeed without writing, or refuse if it only
                # partly matches what was written (EventStoreDB's "corrupted idempotency").
                return self._idempotent(view, first.revision, events) or WriteResult("wrong_version", last)
        elif expected == NO_STREAM:
            if last >= 0 and not soft_deleted:
                return self._idempotent(view, 0, events) or WriteResult("wrong_version", last)
        elif expected != last:
            if 0 <= expected < last:
                return self._idempotent(view, expected + 1, events) or WriteResult("wrong_version", last)
            return WriteResult("wrong_version", last)
        if soft_deleted:
            # Appending to a soft-deleted stream brings it back with only the new events:
            # EventStoreDB rewrites the $tb in its metadata to the first new revision.
            stream_metadata = dict(view.metadata)
            stream_metadata["$tb"] = last + 1
            self._write_metadata(view.name, stream_metadata)
        if is_metastream(view.name):
            for event in events:
                self._add(view, event.event_id, event.type, event.content_type, event.data, event.metadata,
                          view.last + 1)
            return WriteResult("ok", view.last, view.new[-1].position)
        # The hot path of every append: build the records inline (no per-event helper calls).
        revision = last + 1
        position = self.next_position
        created = self.created
        name = view.name
        new_records = view.new
        batch_records = self.records
        new_ids = self._new_ids
        for event_id, type_, content_type, data, metadata in events:
            record = Record(position, name, revision, event_id, type_, content_type, data, metadata, created)
            position += (RECORD_OVERHEAD + len(name) + len(type_) + len(content_type) + len(data)
                         + len(metadata))
            revision += 1
            new_records.append(record)
            batch_records.append(record)
            new_ids[event_id] = record
        self.next_position = position
        return WriteResult("ok", revision - 1, record.position)

    def _idempotent(self, view: _View, start: int, events: tuple[ProposedEvent, ...]) -> WriteResult | None:
        """The original result if events were already written from revision start on."""
        end = start + len(events) - 1
        if end > view.last:
            return None
        for offset, event in enumerate(events):
            if view.at(start + offset).event_id != event.event_id:
                return None
        return WriteResult("ok", end, view.at(end).position)

    def _delete(self, view: _View, expected: int) -> WriteResult:
        if view.tombstoned:
            return DELETED
        last = view.last
        soft_deleted = view.soft_deleted
        if last < 0:
            # EventStoreDB refuses to soft-delete a stream that never had events, whatever
            # the expected version ("Actual version: -1"; esdbclient raises NotFound).
            return WriteResult("wrong_version", last)
        if expected == STREAM_EXISTS and soft_deleted:
            return DELETED
        if not _expectation_met(view, expected, soft_deleted):
            return WriteResult("wrong_version", last)
        metadata = dict(view.metadata)
        metadata["$tb"] = MAX_LONG
        record = self._write_metadata(view.name, metadata)
        return WriteResult("ok", last, record.position)

    def _tombstone(self, view: _View, expected: int) -> WriteResult:
        if view.tombstoned:
            return DELETED
        last = view.last
        if expected == STREAM_EXISTS and view.soft_deleted:
            return DELETED
        if expected == STREAM_EXISTS and last < 0:
            return WriteResult("wrong_version", last)
        if not _expectation_met(view, expected, view.soft_deleted):
            return WriteResult("wrong_version", last)
        record = self._new_record(view.name, MAX_LONG, str(uuid.uuid4()), TOMBSTONE_TYPE, OCTET_STREAM,
                                  b"", b"")
        view.tombstoned = True
        return WriteResult("ok", last, record.position)

    # --- effects --------------------------------------------------------------------------

    def _write_metadata(self, stream: str, metadata: dict[str, Any]) -> Record:
        meta_view = self._view("$$" + stream)
        data = json.dumps(metadata, separators=(",", ":")).encode()
        return self._add(meta_view, str(uuid.uuid4()), METADATA_TYPE, JSON, data, b"", meta_view.last + 1)

    def _add(self, view: _View, event_id: str, type_: str, content_type: str, data: bytes,
             metadata: bytes, revision: int) -> Record:
        record = self._new_record(view.name, revision, event_id, type_, content_type, data, metadata)
        view.new.append(record)
        if is_metastream(view.name):
            owner = self._view(view.name[2:])
            owner.metadata = parse_metadata(data)
            owner.has_metadata = True
        return record

    def _new_record(self, stream: str, revision: int, event_id: str, type_: str, content_type: str,
                    data: bytes, metadata: bytes) -> Record:
        record = Record(self.next_position, stream, revision, event_id, type_, content_type, data,
                        metadata, self.created)
        self.next_position += record.size()
        self.records.append(record)
        self._new_ids[event_id] = record
        return record


def _expectation_met(view: _View, expected: int, soft_deleted: bool) -> bool:
    """Whether a stream is in the state an expected version asks for (no idempotency)."""
    last = view.last
    if expected == ANY:
        return True
    if expected == NO_STREAM:
        return last < 0 or soft_deleted
    if expected == STREAM_EXISTS:
        return last >= 0 or view.has_metadata
    return expected == last
