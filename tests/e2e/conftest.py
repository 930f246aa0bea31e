"""Browser tests: Debian's Chromium driven by Playwright, the app on live_server, a real Celery worker.

Browser downloads do not work here, so Playwright gets `executable_path`. Without Chromium (or
Playwright) these tests skip with a loud reason; `make test` installs Chromium with apt.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis

from tests.e2e import accessibility

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOTS = Path(os.environ.get("E2E_SCREENSHOTS", "/tmp"))


def chromium_path() -> str | None:
    """Debian's chromium, wherever it is installed."""
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


def _skip_loudly(reason: str) -> None:
    message = f"BROWSER TESTS SKIPPED: {reason}"
    warnings.warn(message, stacklevel=2)
    sys.stderr.write(f"\n{'!' * 72}\n{message}\n{'!' * 72}\n")
    pytest.skip(message)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """A headless Chromium for the module (the Playwright loop is closed again after it)."""
    executable = chromium_path()
    if executable is None:
        _skip_loudly("chromium is not installed (apt-get install chromium, or run `make test`, which does)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _skip_loudly("playwright (python) is not installed; pip install -r requirements-dev.txt")
    # Playwright's sync API runs an event loop in this thread; Django's ORM (used by the test
    # itself to create users) would otherwise refuse to run "in an async context".
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
            yield launched
            launched.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def _start(*args: str, log: Path, database_url: str, mailbox: Path) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": database_url, "EMAIL_URL": "filemail://", "EMAIL_FILE_PATH": str(mailbox)}
    with log.open("wb") as out:  # the child keeps its own copy of the descriptor
        return subprocess.Popen([sys.executable, "-m", "celery", "-A", "config", *args], cwd=ROOT, env=env,
                                start_new_session=True, stdout=out, stderr=subprocess.STDOUT)


def _stop(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


@pytest.fixture(scope="module")
def celery_worker(tmp_path_factory, django_db_setup) -> Iterator[Path]:
    """A real worker (and beat, the backstop) projecting, fulfilling and mailing from the head of the shared store.

    It shares the test database (a file), where the customers' data keys are: the pages' tests commit
    (live_server), so the worker opens the personal fields of their orders as the web does.
    Yields the directory its mail lands in (Django's file backend: read it with tests.mailbox).
    """
    from eventlog import connections
    from tests.conftest import shared_test_database, start_subscribers_at_head

    worker_database_url = f"sqlite:///{shared_test_database()}"

    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    client.flushdb()
    start_subscribers_at_head(client, connections.event_store())  # other tests' events are not ours to project
    client.close()
    logs = tmp_path_factory.mktemp("celery")
    mailbox = logs / "mail"
    worker = _start("worker", "--pool", "prefork", "--concurrency", "2", "--without-gossip", "--without-mingle",
                    "--without-heartbeat", "--loglevel", "WARNING", log=logs / "worker.log",
                    database_url=worker_database_url, mailbox=mailbox)
    beat = _start("beat", "--schedule", str(logs / "schedule"), "--loglevel", "WARNING", log=logs / "beat.log",
                  database_url=worker_database_url, mailbox=mailbox)
    sys.stderr.write(f"\ncelery logs: {logs}\n")
    try:
        yield mailbox
    finally:
        _stop(beat)
        _stop(worker)


@pytest.fixture(scope="session")
def assert_accessible() -> Callable[..., None]:
    """`assert_accessible(page)`: fail on serious or critical axe-core violations (a loud no-op without axe-core)."""
    if not accessibility.axe_available():
        accessibility.warn_missing()
        return lambda page, **options: None
    return accessibility.assert_accessible
