"""What the order's customer may see of its history: the one definition, wherever the history comes from.

`orders.visibility` applies it to timelines read from the event store (staff pages, time travel);
the customer timeline read model (`projections.customer_timeline`) applies it as events arrive and
stores the result, so customer pages never read the store. Both call the functions below, and
`to_document` / `from_document` carry an entry through Redis unchanged, so the two cannot drift.

A customer never sees staff notes (no `OrderNoteAdded` entries, no `notes` or `note_count`), the
staff reason of an address correction, staff identities (`cancelled_by` and `corrected_by` are
reduced to their kind), event metadata, or events this code
cannot describe (an unknown type may carry anything).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from eventlog import codec
from eventlog.envelope import EventMetadata, UnknownEvent
from eventlog.timeline import FieldChange, TimelineEntry
from orders.wording import describe

STAFF_ONLY_EVENT_TYPES = frozenset({"OrderNoteAdded"})
# Fields of an order's state (timeline) or summary (API body) that only staff see.
STAFF_ONLY_FIELDS = frozenset({"notes", "note_count"})
# Fields of one event type's data that only staff see (an address correction's reason is internal, like a note).
STAFF_ONLY_EVENT_FIELDS: Mapping[str, frozenset[str]] = {"ShippingAddressCorrected": frozenset({"reason"})}
# Fields naming an actor ({"kind", "id"} or "kind:id"): a customer sees the kind, never the id.
ACTOR_FIELDS = frozenset({"cancelled_by", "corrected_by"})


@dataclass(frozen=True, slots=True)
class VisibleEntry:
    """One event of a timeline as this reader may see it (`data` and `state` are JSON-ready)."""

    version: int
    event_id: UUID
    event_type: str
    schema_version: int
    commit_position: int
    recorded_at: datetime
    description: str
    data: dict[str, Any]
    changes: tuple[FieldChange, ...]
    state: dict[str, Any]
    metadata: EventMetadata | None  # None for customers


@dataclass(frozen=True, slots=True)
class VisibleTimeline:
    """A window of an aggregate's history as this reader may see it."""

    stream_name: str
    kind: str
    aggregate_id: str
    last_version: int
    window_end: int | None  # the last version read (hidden events included), for paging
    entries: tuple[VisibleEntry, ...]
    state: dict[str, Any]


def shown_to_customers(entry: TimelineEntry) -> bool:
    """Whether the order's customer sees this event at all."""
    # Events this code does not know may carry anything: customers see only what it can describe.
    return entry.event.event_type not in STAFF_ONLY_EVENT_TYPES and not isinstance(entry.event.data, UnknownEvent)


def visible_entry(entry: TimelineEntry, *, staff: bool) -> VisibleEntry:
    """One timeline entry as staff (everything) or the order's customer may see it."""
    event = entry.event
    data = plain(event.data)
    changes = entry.changes if staff else tuple(
        change for change in (_change(c) for c in entry.changes) if change is not None)
    return VisibleEntry(
        version=event.stream_position, event_id=event.event_id, event_type=event.event_type,
        schema_version=event.schema_version, commit_position=event.commit_position,
        recorded_at=event.recorded_at, description=describe(event, for_customer=not staff),
        data=data if staff else redacted(data, hidden=STAFF_ONLY_EVENT_FIELDS.get(event.event_type, frozenset())),
        changes=changes,
        state=visible_state(entry.state, staff=staff), metadata=event.metadata if staff else None)


def customer_entry(entry: TimelineEntry) -> VisibleEntry | None:
    """The entry as the order's customer sees it, None when they do not see the event."""
    return visible_entry(entry, staff=False) if shown_to_customers(entry) else None


def visible_state(state: Mapping[str, Any], *, staff: bool) -> dict[str, Any]:
    """An aggregate's state as this reader may see it."""
    return plain(state) if staff else redacted(plain(state))


def redacted(fields: Mapping[str, Any], *, hidden: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Fields as a customer may see them: staff-only and `hidden` fields dropped, actors reduced to their kind."""
    return {name: _actor_kind(value) if name in ACTOR_FIELDS else value
            for name, value in fields.items() if name not in STAFF_ONLY_FIELDS and name not in hidden}


def plain(value: Any) -> Any:
    """JSON-compatible structure of event data and aggregate state (Decimal, UUID, datetime as strings)."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, Mapping):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return codec.to_plain(value)


def to_document(entry: VisibleEntry) -> dict[str, Any]:
    """A customer's entry as JSON for the read model (customers' entries carry no metadata)."""
    if entry.metadata is not None:
        raise ValueError("only customer entries (without metadata) are stored")
    return {
        "version": entry.version, "event_id": str(entry.event_id), "event_type": entry.event_type,
        "schema_version": entry.schema_version, "commit_position": entry.commit_position,
        "recorded_at": entry.recorded_at.isoformat(), "description": entry.description, "data": entry.data,
        "changes": [[change.path, change.before, change.after] for change in entry.changes],
        "state": entry.state,
    }


def from_document(doc: Mapping[str, Any]) -> VisibleEntry:
    """The entry `to_document` stored."""
    return VisibleEntry(
        version=int(doc["version"]), event_id=UUID(doc["event_id"]), event_type=doc["event_type"],
        schema_version=int(doc["schema_version"]), commit_position=int(doc["commit_position"]),
        recorded_at=datetime.fromisoformat(doc["recorded_at"]), description=doc["description"],
        data=dict(doc["data"]),
        changes=tuple(FieldChange(path, before, after) for path, before, after in doc["changes"]),
        state=dict(doc["state"]), metadata=None)


def _actor_kind(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {"kind": value.get("kind")}
    if isinstance(value, str):
        return value.partition(":")[0]
    return value


def _change(change: FieldChange) -> FieldChange | None:
    """A state change as a customer may see it (None when it is about something hidden)."""
    top, _, rest = change.path.partition(".")
    if top in STAFF_ONLY_FIELDS:
        return None
    if top in ACTOR_FIELDS:
        if rest and rest != "kind":
            return None
        if not rest:
            return FieldChange(change.path, _actor_kind(change.before), _actor_kind(change.after))
    return change
