"""What a reader may see of an order: staff see everything; a customer never sees staff notes or who on the staff acted.

One place decides, and every door asks it: the customer's order page, the API's timelines and its
order bodies. "Staff view" means a staff member holding `orders.view_orders`; everyone else (the
order's customer, or staff without that permission) gets the customer view.
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
from orders import roles
from orders.timelines import Timeline, describe

STAFF_ONLY_EVENT_TYPES = frozenset({"OrderNoteAdded"})
# Fields of an order's state (timeline) or summary (API body) that only staff see.
STAFF_ONLY_FIELDS = frozenset({"notes", "note_count"})
# Fields of one event type's data that only staff see (an address correction's reason is internal, like a note).
STAFF_ONLY_EVENT_FIELDS: Mapping[str, frozenset[str]] = {"ShippingAddressCorrected": frozenset({"reason"})}
# Fields naming an actor ({"kind", "id"} or "kind:id"): a customer sees the kind, never the id.
ACTOR_FIELDS = frozenset({"cancelled_by", "corrected_by"})


def sees_staff_view(user: Any) -> bool:
    """Whether `user` sees orders as staff do (notes, staff identities, event metadata)."""
    return roles.may(user, roles.VIEW_ORDERS)


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


def timeline_for(timeline: Timeline, *, staff: bool) -> VisibleTimeline:
    """The timeline as staff (`staff=True`: everything) or as the order's customer may see it."""
    entries = tuple(_entry(entry, staff=staff) for entry in timeline.entries if staff or _for_customers(entry))
    return VisibleTimeline(
        stream_name=timeline.stream_name, kind=timeline.kind, aggregate_id=timeline.aggregate_id,
        last_version=timeline.last_version,
        window_end=timeline.entries[-1].version if timeline.entries else None,
        entries=entries, state=_state(timeline.state, staff=staff))


def customer_view(timeline: Timeline) -> VisibleTimeline:
    """The timeline as the order's customer sees it: no notes, no staff ids, no event metadata."""
    return timeline_for(timeline, staff=False)


def staff_view(timeline: Timeline) -> VisibleTimeline:
    """The whole timeline, for staff."""
    return timeline_for(timeline, staff=True)


def order_fields_for(fields: Mapping[str, Any], *, staff: bool) -> dict[str, Any]:
    """An order's summary fields as this reader may see them (staff-only fields dropped, actors reduced to kinds)."""
    return dict(fields) if staff else _redacted(fields)


def _for_customers(entry: TimelineEntry) -> bool:
    # Events this code does not know may carry anything: customers see only what it can describe.
    return entry.event.event_type not in STAFF_ONLY_EVENT_TYPES and not isinstance(entry.event.data, UnknownEvent)


def _entry(entry: TimelineEntry, *, staff: bool) -> VisibleEntry:
    event = entry.event
    data = plain(event.data)
    changes = entry.changes if staff else tuple(
        change for change in (_change(c) for c in entry.changes) if change is not None)
    return VisibleEntry(
        version=event.stream_position, event_id=event.event_id, event_type=event.event_type,
        schema_version=event.schema_version, commit_position=event.commit_position,
        recorded_at=event.recorded_at, description=describe(event, for_customer=not staff),
        data=data if staff else _redacted(data, hidden=STAFF_ONLY_EVENT_FIELDS.get(event.event_type, frozenset())),
        changes=changes,
        state=_state(entry.state, staff=staff), metadata=event.metadata if staff else None)


def plain(value: Any) -> Any:
    """JSON-compatible structure of event data and aggregate state (Decimal, UUID, datetime as strings)."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, Mapping):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return codec.to_plain(value)


def _state(state: Mapping[str, Any], *, staff: bool) -> dict[str, Any]:
    return plain(state) if staff else _redacted(plain(state))


def _redacted(fields: Mapping[str, Any], *, hidden: frozenset[str] = frozenset()) -> dict[str, Any]:
    return {name: _actor_kind(value) if name in ACTOR_FIELDS else value
            for name, value in fields.items() if name not in STAFF_ONLY_FIELDS and name not in hidden}


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
