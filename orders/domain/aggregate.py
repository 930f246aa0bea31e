"""Aggregate base: decide -> record -> apply; replay, snapshots and time travel.

A decision method checks the rules and calls `_record(event)`. Recording applies the event at
once (so a decision sees its own effects) and queues it in `pending_events` for the handler to
append with `expected_version`. Applying never raises: it also runs on replay of old history.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, Self, TypeVar

from orders.domain.errors import StaleSnapshotError
from orders.domain.events import DomainEvent

IdT = TypeVar("IdT")

# The version of an aggregate with no events, and the expected version that means "the stream must
# not exist yet"; the event log's store door (eventlog.envelope.NO_STREAM) takes the same value.
NO_STREAM = -1

SNAPSHOT_SCHEMA_KEY = "schema"


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A saved aggregate state (`Aggregate.snapshot()`) and the stream version it reflects."""

    state: Mapping[str, Any]
    version: int


class Aggregate(Generic[IdT]):
    """Base class for event-sourced aggregates; subclasses fill `_APPLIERS` and the state hooks."""

    STREAM_PREFIX: ClassVar[str] = ""
    KIND: ClassVar[str] = "aggregate"
    # Bump in a subclass whenever the snapshot's shape changes, so older snapshots are ignored.
    SNAPSHOT_SCHEMA: ClassVar[int] = 1
    # Dotted paths of `snapshot()` that identify a person; stored encrypted like the events' PERSONAL_FIELDS.
    PERSONAL_STATE_FIELDS: ClassVar[tuple[str, ...]] = ()
    # Event class -> function(self, event) that mutates state. Unknown events only advance the version.
    _APPLIERS: ClassVar[Mapping[type[DomainEvent], Callable[[Any, Any], None]]] = {}

    def __init__(self, aggregate_id: IdT) -> None:
        self.id: IdT = aggregate_id
        self.version: int = NO_STREAM
        self._pending: list[DomainEvent] = []

    # -- identity -------------------------------------------------------------------------------

    @classmethod
    def stream_name(cls, aggregate_id: IdT) -> str:
        """The event store stream that holds this aggregate's history, e.g. `order-<uuid>`."""
        return f"{cls.STREAM_PREFIX}-{aggregate_id}"

    @classmethod
    def id_from_stream_name(cls, stream_name: str) -> str:
        """The raw (string) aggregate id in a stream name of this aggregate type."""
        prefix = f"{cls.STREAM_PREFIX}-"
        if not stream_name.startswith(prefix):
            raise ValueError(f"{stream_name!r} is not a {cls.KIND} stream")
        return stream_name[len(prefix):]

    @property
    def data_subject(self) -> str | None:
        """Whose personal data this aggregate's events carry (their key seals it); None: nobody's."""
        return None

    @property
    def exists(self) -> bool:
        """True once the aggregate has at least one event (stored or pending)."""
        return self.version >= 0

    # -- recording and applying -----------------------------------------------------------------

    @property
    def pending_events(self) -> tuple[DomainEvent, ...]:
        """Events decided but not yet appended, oldest first."""
        return tuple(self._pending)

    @property
    def expected_version(self) -> int:
        """The stream version to append `pending_events` against (NO_STREAM: the stream must not exist)."""
        return self.version - len(self._pending)

    def collect_events(self) -> tuple[DomainEvent, ...]:
        """Return the pending events and forget them (call once they are appended)."""
        events, self._pending = tuple(self._pending), []
        return events

    def apply(self, event: DomainEvent) -> None:
        """Apply one stored event: advance the version and change state. Never raises on valid events."""
        self.version += 1
        applier = self._APPLIERS.get(type(event))
        if applier is not None:
            applier(self, event)

    def _record(self, event: DomainEvent) -> None:
        self.apply(event)
        self._pending.append(event)

    # -- replay, snapshots, time travel ---------------------------------------------------------

    @classmethod
    def replay(
        cls,
        aggregate_id: IdT,
        events: Iterable[DomainEvent],
        *,
        snapshot: Snapshot | None = None,
        as_of: int | None = None,
    ) -> Self:
        """Rebuild from history: `events` are the stream's events in order, starting at 0 or, with a
        `snapshot`, at `snapshot.version + 1`. `as_of=N` stops after version N (time travel)."""
        if snapshot is not None:
            if as_of is not None and snapshot.version > as_of:
                raise ValueError(f"snapshot at version {snapshot.version} is newer than as_of={as_of}")
            aggregate = cls.from_snapshot(snapshot.state, snapshot.version)
        else:
            aggregate = cls(aggregate_id)
        for event in events:
            if as_of is not None and aggregate.version >= as_of:
                break
            aggregate.apply(event)
        return aggregate

    def copy(self) -> Self:
        """An independent copy of the state at this version, without pending events (what a cache keeps).

        This default goes through `snapshot()`; an aggregate with a big state overrides it with a cheap copy.
        """
        if self._pending:
            raise ValueError("an aggregate with pending events cannot be copied")
        return type(self).from_snapshot(self.snapshot(), self.version)

    @classmethod
    def accepts_snapshot(cls, state: Mapping[str, Any]) -> bool:
        """Whether `state` was written with this code's `SNAPSHOT_SCHEMA` (if not, replay in full)."""
        return state.get(SNAPSHOT_SCHEMA_KEY) == cls.SNAPSHOT_SCHEMA

    def snapshot(self) -> dict[str, Any]:
        """The state as a JSON-friendly dict (str, int, bool, None, lists, dicts), tagged with the schema."""
        return {SNAPSHOT_SCHEMA_KEY: self.SNAPSHOT_SCHEMA, **self._state_to_dict()}

    @classmethod
    def from_snapshot(cls, state: Mapping[str, Any], version: int) -> Self:
        """Restore an aggregate from `snapshot()` output taken at `version`."""
        if not cls.accepts_snapshot(state):
            raise StaleSnapshotError(cls.KIND, found=state.get(SNAPSHOT_SCHEMA_KEY), expected=cls.SNAPSHOT_SCHEMA)
        aggregate = cls._from_state_dict(state)
        aggregate.version = version
        return aggregate

    def _state_to_dict(self) -> dict[str, Any]:
        raise NotImplementedError

    @classmethod
    def _from_state_dict(cls, state: Mapping[str, Any]) -> Self:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.id} v{self.version}>"
