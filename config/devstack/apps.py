from __future__ import annotations

from django.apps import AppConfig


class DevstackConfig(AppConfig):
    """An app only so that `manage.py run_local` is found."""

    name = "config.devstack"
    label = "devstack"
    verbose_name = "Development stack"
