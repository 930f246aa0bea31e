"""The Celery application; configuration comes from Django settings (CELERY_*)."""
from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

from config import worker_signals  # noqa: E402,F401 - connects the worker's start-up hooks (metrics, versions)
