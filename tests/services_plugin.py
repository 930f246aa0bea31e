"""Pytest plugin: a private event store and Redis for the whole run, on free ports.

It runs before pytest-django imports the settings, so the settings read these URLs from the
environment like in production. Given ESDB_TEST_URL / REDIS_URL, it uses those instead. When only
tests under tests/unit are selected it starts nothing: those run over in-memory doubles.
"""
from __future__ import annotations

import base64
import os
import subprocess
import tempfile
from pathlib import Path

import pytest

from config.devstack import local_services

_started: list[subprocess.Popen] = []
_mode: list[str] = []
# A port nothing listens on (port 1, tcpmux, is never served on test machines).
CLOSED_PORT = 1


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config, parser, args) -> None:
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("SECRET_KEY", "test-only-secret-key")
    # One master key for the run, in the environment, so every process a test starts (workers, stacks) has it.
    os.environ.setdefault("PII_MASTER_KEY", base64.b64encode(os.urandom(32)).decode())
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{tempfile.gettempdir()}/ordersys-test-{os.getpid()}.sqlite3")
    # The repository's .env (written by `make install` for manage.py) must not change what tests see.
    os.environ.setdefault("ENV_FILE", "")
    if _only_unit_tests(args, rootdir=Path(early_config.rootpath)):
        # Unit tests need no servers: start none, and point the settings at a closed port so any
        # connection a unit test makes by accident fails loudly instead of finding a service.
        os.environ["EVENTSTORE_URL"] = f"esdb://127.0.0.1:{CLOSED_PORT}?Tls=false"
        os.environ["REDIS_URL"] = os.environ["CELERY_BROKER_URL"] = f"redis://127.0.0.1:{CLOSED_PORT}/0"
        _mode.append("none (only tests/unit selected)")
        return
    _mode.append("private event store and Redis")
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


def _only_unit_tests(args: list[str], *, rootdir: Path) -> bool:
    """Whether every path on the command line is under tests/unit (no paths: the whole suite)."""
    unit = (rootdir / "tests" / "unit").resolve()
    paths = [Path(arg.split("::")[0]) for arg in args if not arg.startswith("-")]
    paths = [path.resolve() for path in paths if path.exists()]  # option values (-k, -m, -p) are no paths
    return bool(paths) and all(path == unit or unit in path.parents for path in paths)


def pytest_report_header(config) -> str:
    """Say which services this run started (a run of tests/unit starts none)."""
    return f"services: {_mode[0] if _mode else 'unknown'}"


def pytest_unconfigure(config) -> None:
    while _started:
        local_services.stop(_started.pop())
