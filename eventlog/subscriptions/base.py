"""What a subscriber is: a name, a server-side filter, a failure policy and a handler.

Projections write read models through a `ReadModelWriter` (one unit of work per batch, committed
together with the checkpoint in one Redis transaction). Process managers ignore the writer and
send commands whose event ids derive from the triggering event, so re-processing is harmless.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Protocol

from eventlog.envelope import RecordedEvent

Policy = Literal["park", "halt"]


@dataclass(frozen=True, slots=True)
class SubscriberSpec:
    """How the runner feeds one subscriber."""

    name: str  # unique; used in Redis keys, so [a-z0-9_] only
    stream_prefixes: tuple[str, ...] = ()  # server-side filter by stream-name prefix...
    event_types: tuple[str, ...] = ()  # ...or by event type (not both)
    policy: Policy = "park"  # on a poison event: park it and go on, or halt until someone acts
    batch_size: int = 500
    max_attempts: int = 5  # tries of one event before it is dead-lettered
    rebuildable: bool = True  # read models can be rebuilt into a new generation; process managers not
    version: int = 1  # raise it when the read model's shape or meaning changes: outdated generations are rebuilt
    partitions: int = 1  # split by stream into this many (1, 2, 4, 8, 16); changing it is a rebuild
    partitionable: bool = False  # each stream's events touch only that stream's keys, so it may be split
    # Streams every partition reads too (e.g. "customer-": an erasure touches orders in every partition);
    # they own no keys of their own, so they are never split. Only with `stream_prefixes`.
    broadcast_prefixes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.broadcast_prefixes and not self.stream_prefixes:
            raise ValueError(f"{self.name}: broadcast_prefixes need stream_prefixes beside them")

    @property
    def filter_prefixes(self) -> tuple[str, ...]:
        """Every stream-name prefix the subscriber reads, its own streams' and the broadcast ones."""
        return self.stream_prefixes + self.broadcast_prefixes


class ReadModelWriter(Protocol):
    """The unit of work a projection writes through; everything commits with the checkpoint or not at all.

    Keys given to it are relative ("order:<id>"); the writer scopes them to the projection's name and
    generation. Documents read back include this batch's own earlier writes. Counters and sorted-set
    increments are queued; they are safe because an event is never applied twice (the checkpoint
    moves in the same transaction).
    """

    def get_doc(self, key: str) -> dict[str, Any] | None:
        """A JSON document, seen through this batch's pending writes."""

    def set_doc(self, key: str, doc: dict[str, Any]) -> None:
        """Write a JSON document (replaces it)."""

    def delete(self, key: str) -> None:
        """Remove a key."""

    def hset(self, key: str, mapping: dict[str, str | int]) -> None:
        """Set hash fields."""

    def hincrby(self, key: str, field: str, amount: int) -> None:
        """Add to an integer hash field (money is kept in cents)."""

    def zadd(self, key: str, mapping: dict[str, float]) -> None:
        """Add or re-score sorted-set members."""

    def zrem(self, key: str, *members: str) -> None:
        """Remove sorted-set members."""

    def zmembers(self, key: str) -> list[str]:
        """A sorted set's members (sorted as text), seen through this batch's pending adds and removals."""

    def zincrby(self, key: str, amount: float, member: str) -> None:
        """Add to a sorted-set member's score."""

    def sadd(self, key: str, *members: str) -> None:
        """Add set members."""

    def srem(self, key: str, *members: str) -> None:
        """Remove set members."""


class Subscriber(Protocol):
    """Anything the runner can feed: a spec and a handler of one event at a time."""

    spec: SubscriberSpec

    def handle(self, event: RecordedEvent, writer: ReadModelWriter) -> None:
        """Apply one event; raise to have it retried (and eventually dead-lettered)."""

    # Optional: `prepare_batch(events)` is called with each batch before `handle` sees its events one by
    # one. A process manager may use it to start independent work concurrently; it must never raise,
    # and whatever it did must be harmless to do again, because `handle` remains the one that counts.
