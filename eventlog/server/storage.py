"""Durable storage of the event log: SQLite (WAL, synchronous=FULL) or nothing at all (memory).

Storage only persists and reloads records in position order; every decision (expected versions,
idempotency, positions) is made by eventlog.server.log against its in-memory index, and the
grouping of many appends into one transaction is eventlog.server.writer's job.
"""
from __future__ import annotations

import fcntl
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Protocol

from eventlog.server.records import Record

SYNCHRONOUS_MODES = ("FULL", "NORMAL")
COLUMNS = "position, stream, revision, event_id, type, content_type, data, metadata, created"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    position     INTEGER PRIMARY KEY,
    stream       TEXT    NOT NULL,
    revision     INTEGER NOT NULL,
    event_id     TEXT    NOT NULL,
    type         TEXT    NOT NULL,
    content_type TEXT    NOT NULL,
    data         BLOB    NOT NULL,
    metadata     BLOB    NOT NULL,
    created      INTEGER NOT NULL
);
"""


class Storage(Protocol):
    """Where committed records go, so that they survive a restart."""

    durable: bool

    def load(self) -> Iterator[Record]:
        """All stored records in position order."""
        ...

    def write(self, records: Sequence[Record]) -> None:
        """Persist records atomically; return only once they are durable."""
        ...

    def close(self) -> None:
        """Release files."""
        ...


class MemoryStorage:
    """No persistence: for tests, where a fresh empty store per run is the point."""

    durable = False

    def load(self) -> Iterator[Record]:
        """Nothing was ever stored."""
        return iter(())

    def write(self, records: Sequence[Record]) -> None:
        """Records live only in the in-memory log."""

    def close(self) -> None:
        """Nothing to release."""


class SqliteStorage:
    """One SQLite file in WAL mode; each write() is one fsync'd transaction."""

    durable = True

    def __init__(self, data_dir: Path, *, synchronous: str = "FULL") -> None:
        if synchronous.upper() not in SYNCHRONOUS_MODES:
            raise ValueError(f"synchronous must be one of {SYNCHRONOUS_MODES}, not {synchronous!r}")
        data_dir.mkdir(parents=True, exist_ok=True)
        # Positions are assigned from memory, so two servers on one directory would collide:
        # hold an exclusive lock for the life of the process (released by the OS on kill -9).
        self._lock_file = open(data_dir / "LOCK", "a+b")  # noqa: SIM115 - held until close()
        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock_file.close()
            raise RuntimeError(f"{data_dir} is in use by another event store process") from None
        self.path = data_dir / "events.sqlite3"
        # The writer thread owns writes; load() runs before it starts, close() after it stops.
        self._conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        # FULL (the default): the WAL is fsync'd at every commit, so an acknowledged append
        # survives kill -9 and power loss. NORMAL skips that fsync: still safe against a process
        # crash (kill -9), since the data is in the OS page cache, but not against power loss.
        self._conn.execute(f"PRAGMA synchronous={synchronous.upper()}")
        self._conn.executescript(_SCHEMA)

    def load(self) -> Iterator[Record]:
        """All stored records in position order, streamed rather than fetched at once."""
        cursor = self._conn.execute(f"SELECT {COLUMNS} FROM events ORDER BY position")
        while True:
            rows = cursor.fetchmany(5000)
            if not rows:
                return
            for row in rows:
                yield Record(*row)

    def write(self, records: Sequence[Record]) -> None:
        """Insert records in a single transaction (all or nothing)."""
        if not records:
            return
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.executemany(f"INSERT INTO events ({COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?)",
                             [record.as_row() for record in records])
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def close(self) -> None:
        """Checkpoint the WAL into the main file and close."""
        try:
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            self._conn.close()
            self._lock_file.close()


def open_storage(data_dir: Path | None, *, synchronous: str = "FULL") -> Storage:
    """SQLite under data_dir, or memory when data_dir is None."""
    return MemoryStorage() if data_dir is None else SqliteStorage(data_dir, synchronous=synchronous)
