"""`manage.py pii status | rotate-master-key` over the database key table."""
from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from eventlog.pii import use_keyring
from eventlog.pii.keys import Keyring
from eventlog.pii.master import LocalMasterKey, fingerprint, new_master_key, parse_master_key
from eventlog.pii.table import DatabaseKeyTable

pytestmark = pytest.mark.django_db
OLD, NEW = new_master_key(), new_master_key()


def pii(*args: str, current: str, previous: str = "") -> str:
    out = StringIO()
    with use_keyring(Keyring(DatabaseKeyTable(), LocalMasterKey.from_text(current, previous=previous))):
        call_command("pii", *args, stdout=out)
    return out.getvalue()


def fp(key: str) -> str:
    return fingerprint(parse_master_key(key))


def test_rotation_rewraps_under_the_new_key_prints_counts_and_is_idempotent():
    with use_keyring(Keyring(DatabaseKeyTable(), LocalMasterKey.from_text(OLD))) as old:
        for subject in ("c-1", "c-2", "c-3"):
            old.sealing_key(subject)
        old.destroy("c-3")

    first = pii("rotate-master-key", current=NEW, previous=OLD)
    again = pii("rotate-master-key", current=NEW, previous=OLD)
    status = pii("status", current=NEW)

    assert f"rewrapped 2 data key(s) under master key {fp(NEW)}; 0 already were; 1 erased" in first
    assert "rewrapped 0 data key(s)" in again and "2 already were" in again
    assert "data keys: 2 live, 1 erased" in status and f"under {fp(NEW)} (current): 2" in status
    assert "health: ok" in status


def test_rotation_without_the_old_key_fails_loudly_and_changes_nothing():
    with use_keyring(Keyring(DatabaseKeyTable(), LocalMasterKey.from_text(OLD))) as old:
        old.sealing_key("c-1")

    with pytest.raises(CommandError, match="PII_PREVIOUS_MASTER_KEYS"):
        pii("rotate-master-key", current=NEW)

    assert f"under {fp(OLD)} (current): 1" in pii("status", current=OLD)


def test_status_names_keys_under_an_unconfigured_master_key_and_exits_non_zero():
    with use_keyring(Keyring(DatabaseKeyTable(), LocalMasterKey.from_text(OLD))) as old:
        old.sealing_key("c-1")

    with pytest.raises(CommandError, match="not healthy"):
        pii("status", current=NEW)
    with pytest.raises(CommandError, match="not healthy"):
        pii("status", current="")
