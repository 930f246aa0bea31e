"""An aggregate's history as a timeline: each event with the state after it and what it changed.

Generic over aggregates: anything that can `apply(event)` and describe itself as a JSON-friendly
dict (`snapshot()`) gets time travel ("the state as of version N") and field-level diffs.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from eventlog.envelope import RecordedEvent

_ABSENT = object()


class Replayable(Protocol):
    """What the timeline needs of an aggregate."""

    version: int

    def apply(self, event: Any) -> None: ...

    def snapshot(self) -> dict[str, Any]: ...


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One field that an event changed; `path` is dotted for nested fields ("lines.0.quantity")."""

    path: str
    before: Any
    after: Any


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One event, the aggregate's state right after it, and the changes from the state before."""

    event: RecordedEvent
    state: dict[str, Any]
    changes: tuple[FieldChange, ...]

    @property
    def version(self) -> int:
        """The aggregate version this event produced."""
        return self.event.stream_position


def build_timeline(aggregate: Replayable, events: Iterable[RecordedEvent]) -> list[TimelineEntry]:
    """Apply `events` (which must follow `aggregate.version`) one by one, recording state and diffs."""
    entries = []
    before = _state(aggregate)
    for event in events:
        aggregate.apply(event.data)
        after = _state(aggregate)
        entries.append(TimelineEntry(event=event, state=after, changes=tuple(diff(before, after))))
        before = after
    return entries


def diff(before: Mapping[str, Any], after: Mapping[str, Any], prefix: str = "") -> list[FieldChange]:
    """Field-level differences between two JSON-friendly states, nested dicts and lists included."""
    changes: list[FieldChange] = []
    for key in sorted(set(before) | set(after), key=str):
        path = f"{prefix}{key}"
        old, new = before.get(key, _ABSENT), after.get(key, _ABSENT)
        if old == new:
            continue
        if isinstance(old, Mapping) and isinstance(new, Mapping):
            changes.extend(diff(old, new, prefix=f"{path}."))
        elif isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
            # List items are compared by index; the index becomes the next part of the path.
            as_fields = {str(index): item for index, item in enumerate(old)}
            changes.extend(diff(as_fields, {str(index): item for index, item in enumerate(new)}, prefix=f"{path}."))
        else:
            changes.append(FieldChange(path, None if old is _ABSENT else old, None if new is _ABSENT else new))
    return changes


def _state(aggregate: Replayable) -> dict[str, Any]:
    state = dict(aggregate.snapshot())
    state.pop("schema", None)  # snapshot bookkeeping, not part of what a person reads
    return state
