"""A key table in a dict, for unit tests (no database) and a keyring made with it."""
from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from uuid import UUID, uuid4

from eventlog.pii.keys import DEFAULT_CACHE_SECONDS, KeyRecord, Keyring, KeySummary
from eventlog.pii.master import LocalMasterKey, MasterKey, Wrapped, new_master_key


class InMemoryKeyTable:
    """The key table's behaviour (one row per subject, tombstones) without a database."""

    def __init__(self) -> None:
        self._rows: dict[str, KeyRecord] = {}
        self._lock = threading.Lock()

    def by_subject(self, subject: str) -> KeyRecord | None:
        return self._rows.get(subject)

    def by_id(self, key_id: UUID) -> KeyRecord | None:
        return next((row for row in list(self._rows.values()) if row.key_id == key_id), None)

    def insert(self, record: KeyRecord) -> KeyRecord:
        with self._lock:
            return self._rows.setdefault(record.subject, record)

    def destroy(self, subject: str, *, when: datetime) -> bool:
        with self._lock:
            row = self._rows.get(subject)
            if row is not None and row.erased:
                return False
            if row is None:
                self._rows[subject] = KeyRecord(uuid4(), subject, None, "", when, when)
                return False
            self._rows[subject] = replace(row, wrapped=None, erased_at=when)
            return True

    def live_not_under(self, fingerprint: str) -> Iterator[KeyRecord]:
        return iter([row for row in list(self._rows.values())
                     if not row.erased and row.master_fingerprint != fingerprint])

    def rewrap(self, key_id: UUID, *, old_fingerprint: str, new: Wrapped) -> bool:
        with self._lock:
            row = self.by_id(key_id)
            if row is None or row.erased or row.master_fingerprint != old_fingerprint:
                return False
            self._rows[row.subject] = replace(row, wrapped=new.blob, master_fingerprint=new.fingerprint)
            return True

    def count_live_outside(self, fingerprints: frozenset[str]) -> int:
        rows = list(self._rows.values())
        return sum(1 for row in rows if not row.erased and row.master_fingerprint not in fingerprints)

    def summary(self) -> KeySummary:
        live: dict[str, int] = {}
        erased = 0
        for row in list(self._rows.values()):
            if row.erased:
                erased += 1
            else:
                live[row.master_fingerprint] = live.get(row.master_fingerprint, 0) + 1
        return KeySummary(live_by_master=live, erased=erased)


def in_memory_keyring(*, master: MasterKey | None = None, table: InMemoryKeyTable | None = None,
                      cache_seconds: float = DEFAULT_CACHE_SECONDS) -> Keyring:
    """A keyring over a dict, under `master` (default: a fresh random master key)."""
    return Keyring(table or InMemoryKeyTable(), master or LocalMasterKey.from_text(new_master_key()),
                   cache_seconds=cache_seconds)
