"""The contract suite runs against every store behind the application's interface.

`server`: the run's private embedded server (or the real EventStoreDB / KurrentDB given by
ESDB_TEST_URL); `memory`: the in-memory double the unit tests use, held to the same behaviour.
"""
from __future__ import annotations

import pytest

from eventlog.memory import InMemoryEventStore
from eventlog.registry import EventRegistry
from eventlog.store import EventStore


@pytest.fixture(scope="module", params=["server", "memory"])
def store(request, registry: EventRegistry) -> EventStore | InMemoryEventStore:
    """A store with the suite's registry, once per kind of store."""
    if request.param == "memory":
        yield InMemoryEventStore(registry=registry)
        return
    store = EventStore(request.getfixturevalue("eventstore_url"), registry=registry)
    yield store
    store.close()
