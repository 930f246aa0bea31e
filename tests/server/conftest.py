"""Fixtures for the embedded event store's tests: clients of the session server, unique streams."""
from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from esdbclient import EventStoreDBClient

from tests.server.helpers import ServerProcess


@pytest.fixture(scope="session")
def esdb_url() -> str:
    """The session event store (started by tests/services_plugin.py)."""
    return os.environ["EVENTSTORE_URL"]


@pytest.fixture(scope="session")
def client(esdb_url: str) -> Iterator[EventStoreDBClient]:
    """One esdbclient client for the whole run (clients are thread-safe)."""
    with EventStoreDBClient(esdb_url) as esdb:
        yield esdb


@pytest.fixture
def stream() -> str:
    """A stream name no other test uses."""
    return f"test-{uuid.uuid4().hex}"


@pytest.fixture
def private_server(tmp_path: Path) -> Iterator[ServerProcess]:
    """An event store of our own with SQLite storage in a temporary directory."""
    server = ServerProcess(tmp_path / "eventstore")
    try:
        yield server
    finally:
        server.stop()
