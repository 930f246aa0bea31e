"""The key table in the Django database (model `SubjectKey`)."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import ParamSpec, TypeVar
from uuid import UUID, uuid4

from django.db import Error as DatabaseError
from django.db import IntegrityError, transaction
from django.db.models import Count, QuerySet

from eventlog.pii.errors import KeyringUnavailableError
from eventlog.pii.keys import KeyRecord, KeySummary
from eventlog.pii.master import Wrapped
from eventlog.pii.models import SubjectKey

P = ParamSpec("P")
R = TypeVar("R")
_BATCH = 500


def _reachable(method: Callable[P, R]) -> Callable[P, R]:
    """A database error is the keyring being unavailable, never a crash of whoever reads an event."""

    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except DatabaseError as error:
            raise KeyringUnavailableError(f"the key table cannot be read ({type(error).__name__}: {error})") from None

    wrapper.__name__ = method.__name__
    wrapper.__doc__ = method.__doc__
    return wrapper


class DatabaseKeyTable:
    """Key rows in the `pii_subjectkey` table of database `using` (Django's alias)."""

    def __init__(self, *, using: str = "default") -> None:
        self.using = using

    @property
    def _rows(self) -> QuerySet[SubjectKey]:
        return SubjectKey.objects.using(self.using)

    @_reachable
    def by_subject(self, subject: str) -> KeyRecord | None:
        row = self._rows.filter(subject=subject).first()
        return None if row is None else _record(row)

    @_reachable
    def by_id(self, key_id: UUID) -> KeyRecord | None:
        row = self._rows.filter(key_id=key_id).first()
        return None if row is None else _record(row)

    @_reachable
    def insert(self, record: KeyRecord) -> KeyRecord:
        try:
            with transaction.atomic(using=self.using):
                self._rows.create(key_id=record.key_id, subject=record.subject, wrapped_key=record.wrapped,
                                          master_fingerprint=record.master_fingerprint,
                                          created_at=record.created_at)
        except IntegrityError:  # another process made the subject's key first: use theirs
            return _record(self._rows.get(subject=record.subject))
        return record

    @_reachable
    def destroy(self, subject: str, *, when: datetime) -> bool:
        destroyed = self._rows.filter(subject=subject, erased_at__isnull=True).update(
            wrapped_key=None, erased_at=when)
        if not destroyed:
            try:
                with transaction.atomic(using=self.using):  # no key yet: a tombstone, so none is ever made
                    self._rows.create(key_id=uuid4(), subject=subject, wrapped_key=None, master_fingerprint="",
                                              created_at=when, erased_at=when)
            except IntegrityError:
                pass  # already a tombstone (or a key made meanwhile, which the update above did not see)
            else:
                return False
            # A key made between the update and the insert: destroy it too.
            destroyed = self._rows.filter(subject=subject, erased_at__isnull=True).update(
                wrapped_key=None, erased_at=when)
        return bool(destroyed)

    @_reachable
    def live_not_under(self, fingerprint: str) -> Iterator[KeyRecord]:
        rows = self._rows.filter(erased_at__isnull=True).exclude(master_fingerprint=fingerprint)
        return iter([_record(row) for row in rows.order_by("key_id").iterator(chunk_size=_BATCH)])

    @_reachable
    def rewrap(self, key_id: UUID, *, old_fingerprint: str, new: Wrapped) -> bool:
        # Conditional on the old wrapping: a concurrent or repeated rotation never double-wraps a key.
        return bool(self._rows.filter(key_id=key_id, erased_at__isnull=True,
                                              master_fingerprint=old_fingerprint)
                    .update(wrapped_key=new.blob, master_fingerprint=new.fingerprint))

    @_reachable
    def count_live_outside(self, fingerprints: frozenset[str]) -> int:
        return self._rows.filter(erased_at__isnull=True).exclude(master_fingerprint__in=fingerprints).count()

    @_reachable
    def summary(self) -> KeySummary:
        live = {row["master_fingerprint"]: row["n"] for row in
                self._rows.filter(erased_at__isnull=True).values("master_fingerprint")
                .annotate(n=Count("key_id")).order_by()}
        return KeySummary(live_by_master=live, erased=self._rows.filter(erased_at__isnull=False).count())


def _record(row: SubjectKey) -> KeyRecord:
    return KeyRecord(key_id=row.key_id, subject=row.subject,
                     wrapped=bytes(row.wrapped_key) if row.wrapped_key is not None else None,
                     master_fingerprint=row.master_fingerprint, created_at=row.created_at, erased_at=row.erased_at)
