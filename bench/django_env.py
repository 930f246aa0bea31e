"""Point Django at a bench run's private services before it is set up."""
from __future__ import annotations

import base64
import os


def configure_django(eventstore_port: int, redis_port: int, database: str) -> None:
    """Set the environment the settings read, then django.setup()."""
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "true", "SECRET_KEY": "bench-only",
        "EVENTSTORE_URL": f"esdb://127.0.0.1:{eventstore_port}?Tls=false",
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0", "CELERY_BROKER_URL": f"redis://127.0.0.1:{redis_port}/0",
        "DATABASE_URL": f"sqlite:///{database}",
    })
    # One master key per bench run: client processes started later inherit the parent's.
    os.environ.setdefault("PII_MASTER_KEY", base64.b64encode(os.urandom(32)).decode())
    import django

    django.setup()
