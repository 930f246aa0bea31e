"""Idempotency keys: a retried command appends nothing new and gets the first result back.

Event ids are derived from (actor, key), so the event store itself recognises a re-sent append.
The first result is kept in a one-event stream per key; if the process died between appending
the events and writing that record, the derived ids are still found in the aggregate's stream.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID, uuid4, uuid5

from eventlog import codec
from eventlog.envelope import NO_STREAM, EventMetadata, NewEvent, RecordedEvent
from eventlog.errors import ConcurrencyError, StreamNotFoundError
from eventlog.ports import EventStorePort
from orders.domain.commands import Command
from orders.domain.errors import DomainError
from orders.domain.values import Actor

_NAMESPACE = UUID("5b0e7d1c-2f0a-4c9e-9a57-3d9f6b8e4a21")
RECORD_EVENT_TYPE = "IdempotentCommandRecorded"
RECORD_STREAM_PREFIX = "idempotency-"


class IdempotencyKeyReusedError(DomainError):
    """The same idempotency key was sent earlier with a different command."""

    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(f"idempotency key {key!r} was already used for a different request")


@dataclass(frozen=True, slots=True)
class IdempotencyKey:
    """A caller's key, scoped to the actor, with the fingerprint of the command it guards."""

    actor: Actor
    key: str
    fingerprint: str

    @classmethod
    def for_command(cls, command: Command, *, actor: Actor, key: str) -> IdempotencyKey:
        """Scope `key` to the actor and fingerprint the command it is sent with."""
        body = type(command).__name__.encode() + b":" + codec.to_json(command)
        return cls(actor, key, hashlib.sha256(body).hexdigest())

    @property
    def scope(self) -> UUID:
        """A stable id for (actor, key): two actors never share a key."""
        return _scope(self.actor, self.key)

    def event_ids(self, count: int) -> list[UUID]:
        """Ids for the command's events, the same on every retry."""
        return [uuid5(self.scope, f"event-{index}") for index in range(count)]

    @property
    def record_stream(self) -> str:
        """The stream holding the first result for this key."""
        return f"{RECORD_STREAM_PREFIX}{self.scope}"


def first_event_id(*, actor: Actor, key: str) -> UUID:
    """The id the first event of a command sent by `actor` with idempotency key `key` gets.

    For a command that settles several keyed requests in one append (a batched reservation): each
    event keeps the id its own request would have given it, so the store sees a replay as such.
    """
    return uuid5(_scope(actor, key), "event-0")


def _scope(actor: Actor, key: str) -> UUID:
    return uuid5(_NAMESPACE, f"{actor.kind}:{actor.id}|{key}")


@dataclass(frozen=True, slots=True)
class FirstResult:
    """What the first run of a keyed command appended."""

    stream_name: str
    new_version: int
    commit_position: int
    event_ids: tuple[UUID, ...]


def find_record(store: EventStorePort, key: IdempotencyKey) -> FirstResult | None:
    """The first result recorded for the key; raises if the key guarded another command."""
    try:
        [record] = store.read_stream(key.record_stream, limit=1, decode=False)
    except StreamNotFoundError:
        return None
    body = record.data
    if body["fingerprint"] != key.fingerprint:
        raise IdempotencyKeyReusedError(key.key)
    return FirstResult(body["stream_name"], body["new_version"], body["commit_position"],
                       tuple(UUID(event_id) for event_id in body["event_ids"]))


def find_in_tail(tail: Sequence[RecordedEvent], key: IdempotencyKey) -> FirstResult | None:
    """The keyed command's events among freshly loaded ones (they were appended, not recorded)."""
    first_id = key.event_ids(1)[0]
    for index, event in enumerate(tail):
        if event.event_id == first_id:
            ids = set(key.event_ids(len(tail) - index))
            ours = [e for e in tail[index:] if e.event_id in ids]
            last = ours[-1]
            return FirstResult(last.stream_name, last.stream_position, last.commit_position,
                               tuple(e.event_id for e in ours))
    return None


def write_record(store: EventStorePort, key: IdempotencyKey, result: FirstResult, *, metadata: EventMetadata) -> None:
    """Remember the first result; a concurrent duplicate that got there first wrote the same thing."""
    body = {"fingerprint": key.fingerprint, "stream_name": result.stream_name, "new_version": result.new_version,
            "commit_position": result.commit_position, "event_ids": [str(i) for i in result.event_ids]}
    event = NewEvent(event_id=uuid4(), event_type=RECORD_EVENT_TYPE, schema_version=1,
                     data=json.dumps(body).encode(), metadata=metadata)
    try:
        store.append(key.record_stream, [event], expected_version=NO_STREAM)
    except ConcurrencyError:
        find_record(store, key)  # raises if the winner guarded a different command
