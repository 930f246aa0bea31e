"""Pytest plugin: a private event store and Redis for the whole run, on free ports.

It runs before pytest-django imports the settings, so the settings read these URLs from the
environment like in production. Given ESDB_TEST_URL / REDIS_URL, it uses those instead.
"""
from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

import pytest

from eventlog import local_services

_started: list[subprocess.Popen] = []


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config, parser, args) -> None:
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("SECRET_KEY", "test-only-secret-key")
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{tempfile.gettempdir()}/ordersys-test-{os.getpid()}.sqlite3")
    logs = Path(tempfile.mkdtemp(prefix="ordersys-test-logs-"))
    if os.environ.get("ESDB_TEST_URL"):
        os.environ["EVENTSTORE_URL"] = os.environ["ESDB_TEST_URL"]
    else:
        port = local_services.free_port()
        _started.append(local_services.start(local_services.eventstore_command(port), port=port,
                                             log_path=logs / "eventstore.log"))
        os.environ["EVENTSTORE_URL"] = f"esdb://127.0.0.1:{port}?Tls=false"
    if not os.environ.get("REDIS_URL"):
        port = local_services.free_port()
        _started.append(local_services.start(local_services.redis_command(port), port=port,
                                             log_path=logs / "redis.log"))
        os.environ["REDIS_URL"] = f"redis://127.0.0.1:{port}/0"
    os.environ.setdefault("CELERY_BROKER_URL", os.environ["REDIS_URL"])


def pytest_unconfigure(config) -> None:
    while _started:
        local_services.stop(_started.pop())
