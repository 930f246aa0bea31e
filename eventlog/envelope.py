"""What every stored event carries around its domain payload."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

# The expected version that means "the stream must not exist yet" (the version before the first
# event). orders.domain may not import eventlog, so its aggregates state the same value by the same name.
NO_STREAM = -1


@dataclass(frozen=True, slots=True)
class EventMetadata:
    """Who caused an event and within which conversation."""

    correlation_id: UUID
    causation_id: UUID | None
    actor: str  # "<kind>:<id>", e.g. "customer:42", "staff:1", "system:fulfillment"


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An encoded event ready to append; its id is decided once so retries are idempotent."""

    event_id: UUID
    event_type: str
    schema_version: int
    data: bytes
    metadata: EventMetadata


@dataclass(frozen=True, slots=True)
class RecordedEvent:
    """An event as read back from the store: the envelope and its decoded data."""

    event_id: UUID
    event_type: str
    schema_version: int
    stream_name: str
    aggregate_id: str
    stream_position: int  # the aggregate's version after this event, from 0
    commit_position: int  # place in $all; strictly increasing
    recorded_at: datetime
    data: Any  # the domain event (or the JSON dict when read undecoded)
    metadata: EventMetadata


@dataclass(frozen=True, slots=True)
class UnknownEvent:
    """The data of an event whose type this code does not know (written by newer code or another service).

    Reads that must not stop at such an event (loading an aggregate, showing a timeline) get this in
    `RecordedEvent.data`: aggregates only advance their version past it, customers never see it.
    """

    event_type: str
    schema_version: int
    payload: Any  # the stored JSON, or its text when it is not JSON


@dataclass(frozen=True, slots=True)
class AppendResult:
    """Where an append landed."""

    stream_name: str
    new_version: int
    commit_position: int


def aggregate_id_of(stream_name: str) -> str:
    """The aggregate id of a stream named '<category>-<id>' (the whole name if it has no dash)."""
    _, dash, rest = stream_name.partition("-")
    return rest if dash else stream_name
