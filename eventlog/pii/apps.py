from __future__ import annotations

from django.apps import AppConfig


class PiiConfig(AppConfig):
    name = "eventlog.pii"
    label = "pii"
    verbose_name = "Personal data keys"

    def ready(self) -> None:
        from eventlog.pii import checks  # noqa: F401 - registers the master key check
