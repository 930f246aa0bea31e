"""The keyring over both key tables (a dict, the Django database): keys, erasure, rotation, health."""
from __future__ import annotations

import time
from datetime import UTC, datetime
from uuid import uuid4

import pytest

from eventlog.pii import ERASED, UNAVAILABLE, KeyringUnavailableError, SubjectErasedError
from eventlog.pii.keys import KeyRecord, Keyring
from eventlog.pii.master import LocalMasterKey, fingerprint, new_master_key, parse_master_key
from eventlog.pii.memory import InMemoryKeyTable
from eventlog.pii.sealed import open_sealed, seal

OLD, NEW = new_master_key(), new_master_key()
pytestmark = pytest.mark.django_db  # the database table's variants (an in-memory SQLite: no server)


@pytest.fixture(params=["memory", "database"])
def table(request):
    """Each test runs against the dict table and the database table: they must behave alike."""
    if request.param == "memory":
        return InMemoryKeyTable()
    from eventlog.pii.table import DatabaseKeyTable

    return DatabaseKeyTable()


def ring(table, current: str = OLD, *, previous: str = "", cache_seconds: float = 2.0) -> Keyring:
    return Keyring(table, LocalMasterKey.from_text(current, previous=previous), cache_seconds=cache_seconds)


def sealed_for(keyring: Keyring, subject: str, value: str = "Ada") -> dict:
    return seal(value, key=keyring.sealing_key(subject), context="Test", path="name")


def opened(keyring: Keyring, sealed: dict) -> str:
    from uuid import UUID

    key = keyring.opening_key(UUID(sealed["key"]))
    return key if isinstance(key, str) else open_sealed(sealed, key=key, context="Test", path="name")


def test_one_key_per_subject_made_once_and_found_again(table):
    keyring = ring(table)
    first = keyring.sealing_key("s-1")

    assert keyring.sealing_key("s-1").key_id == first.key_id
    assert ring(table).sealing_key("s-1").key_id == first.key_id  # another process finds the same row
    assert ring(table).sealing_key("s-2").key_id != first.key_id
    assert table.by_subject("s-1").master_fingerprint == fingerprint(parse_master_key(OLD))


def test_a_subject_made_twice_at_once_keeps_the_first_row(table):
    record = KeyRecord(uuid4(), "s-race", b"x" * 60, "fp", datetime.now(UTC))
    assert table.insert(record).key_id == record.key_id
    assert table.insert(KeyRecord(uuid4(), "s-race", b"y" * 60, "fp", datetime.now(UTC))).key_id == record.key_id


def test_destroy_keeps_a_tombstone_and_refuses_new_keys(table):
    keyring = ring(table)
    value = sealed_for(keyring, "s-1")

    assert keyring.destroy("s-1") is True
    assert keyring.destroy("s-1") is False  # idempotent
    assert opened(ring(table), value) == ERASED
    assert table.by_subject("s-1").wrapped is None and table.by_subject("s-1").erased_at is not None
    with pytest.raises(SubjectErasedError):
        ring(table).sealing_key("s-1")
    assert keyring.is_erased("s-1") and not keyring.is_erased("s-2")


def test_erasing_a_subject_without_a_key_still_stops_one_being_made(table):
    keyring = ring(table)

    assert keyring.destroy("never-ordered") is False
    assert keyring.is_erased("never-ordered")
    with pytest.raises(SubjectErasedError):
        keyring.sealing_key("never-ordered")


def test_another_process_stops_opening_an_erased_subject_within_its_cache_time(table):
    writer, reader = ring(table, cache_seconds=0.2), ring(table, cache_seconds=0.2)
    value = sealed_for(writer, "s-1")
    assert opened(reader, value) == "Ada"

    writer.destroy("s-1")

    assert opened(writer, value) == ERASED  # the destroying process at once
    time.sleep(0.25)
    assert opened(reader, value) == ERASED


def test_rotation_rewraps_every_live_key_and_the_old_master_key_is_no_longer_needed(table):
    values = [sealed_for(ring(table), f"s-{n}", f"name {n}") for n in range(3)]
    ring(table).destroy("s-2")
    rotating = ring(table, NEW, previous=OLD)
    assert rotating.health().ok and "previous master key" in rotating.health().detail

    result = rotating.rotate()
    again = rotating.rotate()  # safe to rerun (after a crash, say)

    assert (result.rewrapped, result.failed, again.rewrapped) == (2, 0, 0)
    only_new = ring(table, NEW)
    assert [opened(only_new, v) for v in values] == ["name 0", "name 1", ERASED]
    assert only_new.health().ok and "previous" not in only_new.health().detail
    assert table.summary().live_by_master == {fingerprint(parse_master_key(NEW)): 2}
    assert opened(ring(table, OLD), values[0]) == UNAVAILABLE  # the old key alone opens nothing now


def test_a_key_no_configured_master_key_opens_is_counted_and_left_alone(table):
    sealed_for(ring(table), "s-1")
    stranger = ring(table, NEW)  # the old key is not listed as previous

    result = stranger.rotate()

    assert (result.rewrapped, result.failed) == (0, 1)
    assert not stranger.health().ok and "wrong PII_MASTER_KEY" in stranger.health().detail
    assert ring(table).sealing_key("s-1")  # nothing was destroyed: the right key still opens it


def test_without_a_master_key_health_says_so_and_nothing_is_sealed(table):
    keyring = Keyring(table, LocalMasterKey.from_text(""))

    health = keyring.health()

    assert not health.ok and "PII_MASTER_KEY is not set" in health.detail and UNAVAILABLE in health.detail
    with pytest.raises(KeyringUnavailableError, match="PII_MASTER_KEY is not set"):
        keyring.sealing_key("s-1")
    with pytest.raises(KeyringUnavailableError):
        keyring.rotate()


def test_a_malformed_master_key_is_named_in_the_health_detail(table):
    health = Keyring(table, LocalMasterKey.from_text("not base64!")).health()
    short = Keyring(table, LocalMasterKey.from_text("c2hvcnQ=")).health()

    assert not health.ok and "PII_MASTER_KEY is not valid base64" in health.detail
    assert not short.ok and "32 bytes, not 5" in short.detail


def test_a_wrapped_key_copied_onto_another_row_does_not_open(table):
    keyring = ring(table)
    keyring.sealing_key("s-1")
    row = table.by_subject("s-1")
    forged = KeyRecord(uuid4(), "s-forged", row.wrapped, row.master_fingerprint, datetime.now(UTC))
    table.insert(forged)

    with pytest.raises(KeyringUnavailableError, match="does not open"):
        ring(table).sealing_key("s-forged")
