"""The process's keyring from settings: keys in the Django database, the local master key (made once per process)."""
from __future__ import annotations

from eventlog import connections
from eventlog.pii.keys import DEFAULT_CACHE_SECONDS, Keyring
from eventlog.pii.master import LocalMasterKey


def keyring_from_settings() -> Keyring:
    """`PII_MASTER_KEY`, `PII_PREVIOUS_MASTER_KEYS`, `PII_KEY_CACHE_SECONDS`; a missing key gives a refusing keyring."""
    from django.conf import settings

    from eventlog.pii.table import DatabaseKeyTable

    master = LocalMasterKey.from_text(getattr(settings, "PII_MASTER_KEY", ""),
                                      previous=getattr(settings, "PII_PREVIOUS_MASTER_KEYS", ""))
    return Keyring(DatabaseKeyTable(), master,
                   cache_seconds=float(getattr(settings, "PII_KEY_CACHE_SECONDS", DEFAULT_CACHE_SECONDS)))


process_keyring = connections.per_process("eventlog.pii.keyring", keyring_from_settings)
