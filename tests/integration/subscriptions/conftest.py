"""A toy projection for the runner's tests: it counts events per stream into documents.

Counting is deliberately not idempotent: an event applied twice (or a failed attempt's partial
writes committed) shows up as a wrong count.
"""
from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from uuid import uuid4

import pytest
import redis

from eventlog.backoff import Backoff
from eventlog.envelope import NO_STREAM, EventMetadata, NewEvent, RecordedEvent
from eventlog.registry import EventRegistry
from eventlog.store import EventStore
from eventlog.subscriptions import keys
from eventlog.subscriptions.base import SubscriberSpec

FAST = Backoff(base=0.001, cap=0.002)


@dataclass(frozen=True, slots=True)
class Tick:
    n: int


class TickCounter:
    """Counts ticks per stream into `stream:<name>` docs, and all of them into a `totals` hash."""

    def __init__(self, name: str, prefix: str, *, policy: str = "park", batch_size: int = 10,
                 max_attempts: int = 3, rebuildable: bool = True) -> None:
        self.spec = SubscriberSpec(name=name, stream_prefixes=(prefix,), policy=policy, batch_size=batch_size,
                                   max_attempts=max_attempts, rebuildable=rebuildable)
        self.poison: set[int] = set()  # tick numbers whose handling raises (after writing a little)
        self.calls: Counter = Counter()  # (generation, event id) -> times handled
        self.hook: Callable[[RecordedEvent], None] | None = None

    def handle(self, event: RecordedEvent, writer) -> None:
        self.calls[(writer.generation, event.event_id)] += 1
        if self.hook is not None:
            self.hook(event)
        doc = writer.get_doc(f"stream:{event.stream_name}") or {"count": 0, "ns": []}
        doc["count"] += 1
        doc["ns"].append(event.data.n)
        writer.set_doc(f"stream:{event.stream_name}", doc)
        writer.hincrby("totals", "events", 1)
        if event.data.n in self.poison:
            raise RuntimeError(f"poison tick {event.data.n}")


META = EventMetadata(correlation_id=uuid4(), causation_id=None, actor="system:test")


@pytest.fixture(scope="session")
def tick_store(eventstore_url: str) -> EventStore:
    """A store whose registry knows Tick (and nothing else: other event types fail to decode)."""
    registry = EventRegistry()
    registry.register(Tick)
    store = EventStore(eventstore_url, registry=registry)
    yield store
    store.close()


def append_ticks(store: EventStore, stream: str, ns: Iterable[int]) -> list[int]:
    """Append ticks to a stream; returns their commit positions."""
    positions = []
    for n in ns:
        event_type, data = store.registry.encode(Tick(n))
        result = store.append(stream, [NewEvent(event_id=uuid4(), event_type=event_type.name, schema_version=1,
                                                data=data, metadata=META)],
                              expected_version=current_version(store, stream))
        positions.append(result.commit_position)
    return positions


def current_version(store: EventStore, stream: str) -> int:
    """The version to append at: the stream's last one, NO_STREAM while it has no events."""
    version = store.stream_version(stream)
    return NO_STREAM if version is None else version


def append_raw(store: EventStore, stream: str, event_type: str, data: bytes) -> int:
    """Append an event the tick registry cannot decode."""
    result = store.append(stream, [NewEvent(event_id=uuid4(), event_type=event_type, schema_version=1, data=data,
                                            metadata=META)], expected_version=current_version(store, stream))
    return result.commit_position


def doc(client: redis.Redis, name: str, stream: str, generation: int = 1) -> dict | None:
    """A stream's count document in one generation."""
    raw = client.get(keys.read_model_key(name, generation, f"stream:{stream}"))
    return None if raw is None else json.loads(raw)


def total(client: redis.Redis, name: str, generation: int = 1) -> int:
    """All ticks counted in one generation."""
    return int(client.hget(keys.read_model_key(name, generation, "totals"), "events") or 0)


def snapshot(client: redis.Redis, name: str) -> dict:
    """Every key of the subscriber with its value, to compare before and after."""
    result = {}
    for key in sorted(client.scan_iter(match=f"*{name}*")):
        kind = client.type(key)
        result[key] = client.hgetall(key) if kind == b"hash" else client.get(key) if kind == b"string" else kind
    return result


@pytest.fixture
def counter(unique: str) -> TickCounter:
    """A park-policy counter over this test's own streams (prefix tick<unique>-)."""
    return TickCounter(f"count_{unique}", f"tick{unique}-")
