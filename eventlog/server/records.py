"""Plain data the embedded server passes around: recorded events, proposed events, expectations."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, NamedTuple

# Expected-version sentinels, with the numbers EventStoreDB itself uses (they appear in messages).
ANY = -2
NO_STREAM = -1
STREAM_EXISTS = -4

# EventStoreDB's "deleted stream" marker: the $tb of a soft-deleted stream and the revision
# of a tombstone event are both long.MaxValue.
MAX_LONG = 9223372036854775807

TOMBSTONE_TYPE = "$streamDeleted"
METADATA_TYPE = "$metadata"
JSON = "application/json"
OCTET_STREAM = "application/octet-stream"

# The first event's position. Positions are byte offsets in a (virtual) log, so the first one is
# after a header; above all it is never 0, because a subscription from position 0 is exclusive.
FIRST_POSITION = 128
# Fixed per-record overhead added to a record's payload size to get the next position.
RECORD_OVERHEAD = 64


def now_ticks() -> int:
    """The current time in 100 ns ticks since the Unix epoch (EventStoreDB's "created")."""
    return time.time_ns() // 100


@dataclass(slots=True)
class Record:
    """One event as stored: its place in `$all` and in its stream, and its payload."""

    position: int
    stream: str
    revision: int
    event_id: str
    type: str
    content_type: str
    data: bytes
    metadata: bytes
    created: int
    # Serialized ReadResp for this event (string UUIDs), built on first read and reused.
    wire: bytes | None = field(default=None, repr=False, compare=False)

    def size(self) -> int:
        """The number of position units this record takes in the log."""
        return (RECORD_OVERHEAD + len(self.stream) + len(self.type) + len(self.content_type)
                + len(self.data) + len(self.metadata))

    def as_row(self) -> tuple[Any, ...]:
        """The record as a storage row (column order of storage.COLUMNS)."""
        return (self.position, self.stream, self.revision, self.event_id, self.type,
                self.content_type, self.data, self.metadata, self.created)


class ProposedEvent(NamedTuple):
    """An event a client asks to append (already validated).

    A NamedTuple rather than a frozen dataclass: it is built once per event on the append path,
    where a frozen dataclass's __init__ costs several times more.
    """

    event_id: str
    type: str
    content_type: str
    data: bytes
    metadata: bytes

    def size(self) -> int:
        """Approximate on-disk size, for the maximum append size check."""
        return len(self.type) + len(self.data) + len(self.metadata)


@dataclass(slots=True)
class WriteRequest:
    """One client operation for the writer: append, soft delete or tombstone."""

    kind: str  # "append" | "delete" | "tombstone"
    stream: str
    expected: int
    events: tuple[ProposedEvent, ...] = ()


@dataclass(frozen=True, slots=True)
class WriteResult:
    """What happened to a WriteRequest.

    outcome is "ok", "wrong_version" or "deleted". For "ok", revision is the stream's last
    revision (-1 when it has none) and position the last written (or matched) event's position,
    None when nothing was written. For "wrong_version", revision is the actual last revision.
    """

    outcome: str
    revision: int = -1
    position: int | None = None
