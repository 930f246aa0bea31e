"""Queries of the event browser: $all newest first, filtered, a page at a time, with a bounded scan.

EventStoreDB filters $all on the server by stream-name prefix or by event type (one of the two).
Correlation ids and time ranges live in metadata and envelopes, so those filters run here, while
scanning backwards in batches. A scan stops after `scan_limit` events even if the page is not
full, and says so (`scan_limit_hit`), so a rare correlation id cannot make one request read the
whole store; the caller continues from `next_before`.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from uuid import UUID

from eventlog import connections
from eventlog.envelope import RecordedEvent
from eventlog.ports import EventStorePort

DEFAULT_PAGE_SIZE = 50
DEFAULT_SCAN_LIMIT = 5_000
BATCH_SIZE = 500
# The event log's own bookkeeping (idempotency records, snapshots): shown only when asked for by prefix.
BOOKKEEPING_PREFIXES = ("idempotency-", "snapshot-")


@dataclass(frozen=True, slots=True)
class EventQuery:
    """What to look for; empty fields match everything."""

    stream_prefix: str = ""
    event_type: str = ""
    correlation_id: UUID | None = None
    since: datetime | None = None  # inclusive, aware
    until: datetime | None = None  # exclusive, aware

    def matches(self, event: RecordedEvent) -> bool:
        """Whether one event satisfies every filter."""
        if self.stream_prefix and not event.stream_name.startswith(self.stream_prefix):
            return False
        if not self.stream_prefix and event.stream_name.startswith(BOOKKEEPING_PREFIXES):
            return False
        if self.event_type and event.event_type != self.event_type:
            return False
        if self.correlation_id and event.metadata.correlation_id != self.correlation_id:
            return False
        if self.since and event.recorded_at < self.since:
            return False
        return not (self.until and event.recorded_at >= self.until)


@dataclass(frozen=True, slots=True)
class BrowsePage:
    """Matching events, newest first; `next_before` continues with older ones (None: reached the start)."""

    events: tuple[RecordedEvent, ...]
    next_before: int | None
    scanned: int  # events read to build this page
    scan_limit_hit: bool  # stopped because of the scan limit, not because the page was full or $all ended
    oldest_scanned_at: datetime | None = None


def browse(query: EventQuery, *, before: int | None = None, page_size: int = DEFAULT_PAGE_SIZE,
           scan_limit: int = DEFAULT_SCAN_LIMIT, store: EventStorePort | None = None) -> BrowsePage:
    """A page of events matching `query`, older than commit position `before` (from the head when None)."""
    store = store or connections.event_store()
    prefixes = (query.stream_prefix,) if query.stream_prefix else ()
    types = (query.event_type,) if query.event_type and not query.stream_prefix else ()
    found: list[RecordedEvent] = []
    cursor, scanned, oldest = before, 0, None
    while True:
        want = min(BATCH_SIZE, scan_limit - scanned)
        if want <= 0:
            return BrowsePage(tuple(found), cursor, scanned, True, oldest)
        # Undecoded: the browser shows what is stored, even events today's code cannot decode.
        batch = store.read_all(after=cursor, backwards=True, limit=want, stream_prefixes=prefixes,
                               event_types=types, decode=False)
        for event in batch:
            scanned += 1
            cursor, oldest = event.commit_position, event.recorded_at
            if query.since and event.recorded_at < query.since:
                return BrowsePage(tuple(found), None, scanned, False, oldest)  # older ones are older still
            if query.matches(event):
                # What is stored, with personal fields opened as for any reader ([erased] once the key is gone).
                found.append(replace(event, data=store.registry.open_stored(event.data, event_type=event.event_type)))
                if len(found) >= page_size:
                    return BrowsePage(tuple(found), event.commit_position, scanned, False, oldest)
        if len(batch) < want:
            return BrowsePage(tuple(found), None, scanned, False, oldest)
