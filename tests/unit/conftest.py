"""Unit tests run with no servers: handlers, process managers and projections over in-memory doubles.

The test plugin starts no event store or Redis when only tests/unit is selected and points the
settings at a closed port, so an accidental connection fails instead of passing by luck.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator

import pytest

from eventlog.memory import InMemoryEventStore
from orders.domain.values import ProductInfo
from tests.unit.builders import CATALOGUE


@pytest.fixture
def store() -> Iterator[InMemoryEventStore]:
    """A fresh in-memory event store with the application's registry, also the process's store meanwhile."""
    import orders.event_types  # noqa: F401 - registers the domain events, as the app does when it loads
    from eventlog import connections

    memory = InMemoryEventStore()
    with connections.use(store=memory):  # code that asks eventlog.connections for the store gets this one
        yield memory


@pytest.fixture(autouse=True)
def pii_keyring():
    """Personal fields are sealed under data keys kept in memory (no database in unit tests), fresh per test."""
    from eventlog.pii import use_keyring
    from eventlog.pii.memory import in_memory_keyring

    with use_keyring(in_memory_keyring()) as keyring:
        yield keyring


@pytest.fixture(autouse=True)
def _no_nudges():
    """No read side runs in unit tests: a committed command must not try to wake Celery workers."""
    from eventlog import hooks
    from projections.head import record_append
    from projections.nudge import send_nudge

    hooks.remove(send_nudge)
    hooks.remove(record_append)
    yield
    hooks.on_append(send_nudge)
    hooks.on_append(record_append)


def catalogue(skus: Iterable[str]) -> dict[str, ProductInfo]:
    """The test catalogue in the shape `dispatch` asks for (unknown skus absent)."""
    return {sku: CATALOGUE[sku] for sku in skus if sku in CATALOGUE}
