"""`manage.py check`: warn when personal data cannot be encrypted (the app still starts, by design)."""
from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks

from eventlog.pii.master import LocalMasterKey


@checks.register(checks.Tags.security)
def master_key_check(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """A missing or malformed PII_MASTER_KEY (or previous key) is a warning naming the setting."""
    master = LocalMasterKey.from_text(getattr(settings, "PII_MASTER_KEY", ""),
                                      previous=getattr(settings, "PII_PREVIOUS_MASTER_KEYS", ""))
    if not master.problem:
        return []
    return [checks.Warning(f"{master.problem}: personal fields read as [unavailable] and orders with personal "
                           "data are refused", hint="set PII_MASTER_KEY to base64 of 32 random bytes",
                           id="pii.W001")]
