"""The keyring: one data key per data subject, wrapped by the master key, with a short cache.

The key table (the Django database in the app, a dict in unit tests) keeps one row per subject;
destroying a key clears its wrapped bytes and keeps the row as a tombstone, so the subject never
gets a key again. Unwrapped keys are cached per process for `cache_seconds` (default 2): that is how
long another process may still open an erased subject's values after `destroy`.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar
from uuid import UUID, uuid4

from eventlog.pii.errors import KeyringUnavailableError, SubjectErasedError
from eventlog.pii.master import MasterKey, Wrapped
from eventlog.pii.placeholders import ERASED, UNAVAILABLE
from eventlog.pii.sealed import DataKey

log = logging.getLogger(__name__)
DATA_KEY_BYTES = 32
DEFAULT_CACHE_SECONDS = 2.0
_STRANGERS_RECHECK_SECONDS = 60.0
_CACHE_ENTRIES = 30_000  # above this, expired entries are dropped


@dataclass(frozen=True, slots=True)
class KeyRecord:
    """One row of the key table; `wrapped` is None once the key is destroyed (a tombstone)."""

    key_id: UUID
    subject: str
    wrapped: bytes | None
    master_fingerprint: str
    created_at: datetime
    erased_at: datetime | None = None

    @property
    def erased(self) -> bool:
        """Whether the key was destroyed."""
        return self.wrapped is None or self.erased_at is not None


@dataclass(frozen=True, slots=True)
class KeySummary:
    """How many keys are live, under which master key, and how many were destroyed."""

    live_by_master: dict[str, int]
    erased: int


@dataclass(frozen=True, slots=True)
class KeyringHealth:
    """Whether personal fields can be sealed and opened, and what is wrong if not."""

    ok: bool
    detail: str


@dataclass(frozen=True, slots=True)
class RotationResult:
    """What a master-key rotation did."""

    rewrapped: int
    failed: int  # live keys no configured master key opens (left as they were)
    current: str  # the fingerprint every rewrapped key is now under


class KeyTable(Protocol):
    """Where key rows live. Every method raises KeyringUnavailableError when the table cannot be reached."""

    def by_subject(self, subject: str) -> KeyRecord | None:
        """The subject's row."""

    def by_id(self, key_id: UUID) -> KeyRecord | None:
        """The row of a key id."""

    def insert(self, record: KeyRecord) -> KeyRecord:
        """Add a row; when the subject already has one (a race), that one is returned instead."""

    def destroy(self, subject: str, *, when: datetime) -> bool:
        """Clear the subject's wrapped key (a tombstone row when it had none); True if a live key went."""

    def live_not_under(self, fingerprint: str) -> Iterator[KeyRecord]:
        """Live keys wrapped by any other master key."""

    def rewrap(self, key_id: UUID, *, old_fingerprint: str, new: Wrapped) -> bool:
        """Replace a live key's wrapping, only if it is still under `old_fingerprint`."""

    def count_live_outside(self, fingerprints: frozenset[str]) -> int:
        """Live keys wrapped by none of these master keys."""

    def summary(self) -> KeySummary:
        """Counts of live keys by master key, and of destroyed ones."""


@dataclass(slots=True)
class _Cache:
    by_subject: dict[str, tuple[float, DataKey | None]] = field(default_factory=dict)  # None: erased
    by_id: dict[UUID, tuple[float, DataKey | str]] = field(default_factory=dict)  # str: a placeholder
    readable: dict[str, tuple[float, bool]] = field(default_factory=dict)  # subject -> key live?
    strangers_checked_until: float = 0.0  # no key under an unknown master key was found until then
    lock: threading.Lock = field(default_factory=threading.Lock)


class Keyring:
    """Data keys of data subjects: made on first use, unwrapped on demand, destroyed on erasure."""

    def __init__(self, table: KeyTable, master: MasterKey, *, cache_seconds: float = DEFAULT_CACHE_SECONDS) -> None:
        self.table = table
        self.master = master
        self.cache_seconds = cache_seconds
        self._cache = _Cache()

    # -- sealing and opening (eventlog.pii.paths) ---------------------------------------------------

    def sealing_key(self, subject: str) -> DataKey:
        """The subject's data key, made on first use; SubjectErasedError / KeyringUnavailableError."""
        now = time.monotonic()
        cached = self._cache.by_subject.get(subject)
        if cached is not None and cached[0] > now:
            if cached[1] is None:
                raise SubjectErasedError(subject)
            return cached[1]
        record = self.table.by_subject(subject) or self._new_key(subject)
        if record.erased:
            self._remember(subject, None, record.key_id, ERASED)
            raise SubjectErasedError(subject)
        key = self._unwrap(record)
        self._remember(subject, key, record.key_id, key)
        return key

    def opening_key(self, key_id: UUID) -> DataKey | str:
        """The data key with this id, or the placeholder its values read as (ERASED, UNAVAILABLE)."""
        now = time.monotonic()
        cached = self._cache.by_id.get(key_id)
        if cached is not None and cached[0] > now:
            return cached[1]
        found: DataKey | str
        try:
            record = self.table.by_id(key_id)
            if record is None:
                found = UNAVAILABLE
            elif record.erased:
                found = ERASED
            else:
                found = self._unwrap(record)
        except Exception as error:  # whatever keeps the key away, a reader gets UNAVAILABLE, never a crash
            log.warning("personal fields under data key %s read as unavailable: %s: %s", key_id,
                        type(error).__name__, error)
            found = UNAVAILABLE
        with self._cache.lock:
            self._cache.by_id[key_id] = (now + self.cache_seconds, found)
            self._prune()
        return found

    # -- erasure ---------------------------------------------------------------------------------

    def destroy(self, subject: str) -> bool:
        """Destroy the subject's data key for good (its row stays as a tombstone); True if a live key went."""
        destroyed = self.table.destroy(subject, when=datetime.now(UTC))
        with self._cache.lock:
            self._cache.by_subject[subject] = (time.monotonic() + self.cache_seconds, None)
            self._cache.readable[subject] = (time.monotonic() + self.cache_seconds, False)
            for key_id, (expires, key) in list(self._cache.by_id.items()):
                if isinstance(key, DataKey) and key.subject == subject:
                    self._cache.by_id[key_id] = (expires, ERASED)
        return destroyed

    def is_erased(self, subject: str) -> bool:
        """Whether the subject's key was destroyed (asks the table, never the cache)."""
        record = self.table.by_subject(subject)
        return record is not None and record.erased

    def still_readable(self, subject: str) -> bool:
        """Whether the subject has a live key, as this process knew it at most `cache_seconds` ago.

        For caches of decrypted state (the repository's recent aggregates): False means "read it again
        from the store", where erased values read as ERASED. A subject with no key (only plain legacy
        values) or an unreachable table is False too: reading again is always safe.
        """
        now = time.monotonic()
        known = self._cache.by_subject.get(subject)
        if known is not None and known[0] > now:
            return known[1] is not None
        cached = self._cache.readable.get(subject)
        if cached is not None and cached[0] > now:
            return cached[1]
        try:
            record = self.table.by_subject(subject)
        except Exception:  # unknown: reading the store again is always safe
            return False
        readable = record is not None and not record.erased
        with self._cache.lock:
            self._cache.readable[subject] = (now + self.cache_seconds, readable)
            self._prune()
        return readable

    # -- operations ------------------------------------------------------------------------------

    def health(self) -> KeyringHealth:
        """Whether personal fields can be sealed and opened; the detail names what is wrong."""
        current = self.master.current_fingerprint
        problem = getattr(self.master, "problem", "")
        if current is None:
            return KeyringHealth(False, f"{problem or 'no master key'}: personal fields read as {UNAVAILABLE} "
                                        "and orders with personal data are refused")
        try:
            summary = self.table.summary()
        except KeyringUnavailableError as error:
            return KeyringHealth(False, str(error))
        known = self.master.known_fingerprints
        strangers = sum(count for fp, count in summary.live_by_master.items() if fp not in known)
        if strangers:
            return KeyringHealth(False, f"{strangers} data key(s) are wrapped by a master key that is not configured "
                                        "(wrong PII_MASTER_KEY?): their personal fields read as "
                                        f"{UNAVAILABLE} and no new keys are made")
        older = sum(count for fp, count in summary.live_by_master.items() if fp != current)
        note = f"; {older} key(s) still under a previous master key (run `manage.py pii rotate-master-key`)" \
            if older else ""
        warning = f"; {problem}" if problem else ""
        return KeyringHealth(True, f"master key {current}, {sum(summary.live_by_master.values())} live key(s), "
                                   f"{summary.erased} erased{note}{warning}")

    def rotate(self) -> RotationResult:
        """Rewrap every live key that is not under the current master key; safe to rerun after a crash."""
        current = self.master.current_fingerprint
        if current is None:
            raise KeyringUnavailableError(f"cannot rotate: {getattr(self.master, 'problem', '') or 'no master key'}")
        rewrapped = failed = 0
        for record in list(self.table.live_not_under(current)):
            assert record.wrapped is not None  # live_not_under yields live keys only
            try:
                key = self.master.unwrap(Wrapped(record.wrapped, record.master_fingerprint), key_id=record.key_id)
            except KeyringUnavailableError as error:
                log.warning("data key %s cannot be rewrapped: %s", record.key_id, error)
                failed += 1
                continue
            if self.table.rewrap(record.key_id, old_fingerprint=record.master_fingerprint,
                                 new=self.master.wrap(key, key_id=record.key_id)):
                rewrapped += 1
        return RotationResult(rewrapped=rewrapped, failed=failed, current=current)

    def forget_cached_keys(self) -> None:
        """Drop every cached key (tests; after a restore)."""
        with self._cache.lock:
            self._cache.by_subject.clear()
            self._cache.by_id.clear()
            self._cache.readable.clear()
            self._cache.strangers_checked_until = 0.0

    # -- internals -------------------------------------------------------------------------------

    def _new_key(self, subject: str) -> KeyRecord:
        # Keys under a master key this process does not have mean PII_MASTER_KEY is probably wrong: keys
        # made now would be readable only with the wrong key, so refuse until it is fixed. (Checked once
        # a minute at most: the count reads every live key.)
        if self._cache.strangers_checked_until <= time.monotonic():
            strangers = self.table.count_live_outside(self.master.known_fingerprints)
            if strangers:
                raise KeyringUnavailableError(f"personal data cannot be encrypted: {strangers} data key(s) are "
                                              "wrapped by a master key that is not configured (wrong PII_MASTER_KEY?)")
            self._cache.strangers_checked_until = time.monotonic() + _STRANGERS_RECHECK_SECONDS
        key_id = uuid4()
        wrapped = self.master.wrap(os.urandom(DATA_KEY_BYTES), key_id=key_id)
        return self.table.insert(KeyRecord(key_id=key_id, subject=subject, wrapped=wrapped.blob,
                                           master_fingerprint=wrapped.fingerprint, created_at=datetime.now(UTC)))

    def _unwrap(self, record: KeyRecord) -> DataKey:
        assert record.wrapped is not None
        raw = self.master.unwrap(Wrapped(record.wrapped, record.master_fingerprint), key_id=record.key_id)
        return DataKey.of(record.key_id, subject=record.subject, raw=raw)

    def _remember(self, subject: str, key: DataKey | None, key_id: UUID, by_id: DataKey | str) -> None:
        expires = time.monotonic() + self.cache_seconds
        with self._cache.lock:
            self._cache.by_subject[subject] = (expires, key)
            self._cache.by_id[key_id] = (expires, by_id)
            self._prune()

    def _prune(self) -> None:
        # Entries only expire when asked for again: a worker reading every customer's events must not
        # keep every key it ever saw. Called with the lock held.
        cache = self._cache
        if len(cache.by_id) + len(cache.by_subject) + len(cache.readable) <= _CACHE_ENTRIES:
            return
        now = time.monotonic()
        _drop_expired(cache.by_subject, now)
        _drop_expired(cache.by_id, now)
        _drop_expired(cache.readable, now)


K = TypeVar("K")


def _drop_expired(entries: dict[K, tuple[float, Any]], now: float) -> None:
    for name in [name for name, (expires, _) in entries.items() if expires <= now]:
        del entries[name]
