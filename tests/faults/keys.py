"""The stack's data keys, for this test process: a rebuild here must open what the stack's processes sealed.

The stack keeps its keys in its own database; this process's keyring reads the test database, where
those key ids do not exist (every personal field would read "[unavailable]"). Both share the master
key (the services plugin sets it in the environment the stack inherits).
"""
from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path
from uuid import UUID

from eventlog import pii
from eventlog.pii.keys import KeyRecord, Keyring
from eventlog.pii.memory import InMemoryKeyTable


def stack_keyring(db_path: Path) -> Keyring:
    """A keyring holding the stack database's key rows as they are now, under this process's master key."""
    table = InMemoryKeyTable()
    with sqlite3.connect(db_path) as connection:
        rows = connection.execute("SELECT key_id, subject, wrapped_key, master_fingerprint, created_at, erased_at "
                                  "FROM pii_subjectkey").fetchall()
    for key_id, subject, wrapped, fingerprint, created_at, erased_at in rows:
        table.insert(KeyRecord(UUID(key_id), subject, None if wrapped is None else bytes(wrapped), fingerprint,
                               datetime.fromisoformat(created_at),
                               None if erased_at is None else datetime.fromisoformat(erased_at)))
    return Keyring(table, pii.keyring().master)
