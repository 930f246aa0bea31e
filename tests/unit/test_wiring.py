"""One wiring place: clients are made only in eventlog.connections; tests swap them there too."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from eventlog import connections
from eventlog.memory import InMemoryEventStore
from orders.handlers import CONFLICT_BACKOFF, dispatch
from tests.unit.builders import CUSTOMER, create_order
from tests.unit.conftest import catalogue

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("config", "eventlog", "orders", "projections", "bench", "manage.py")

# What makes a connection or a per-process singleton, and the only files allowed to write it.
MAKERS: dict[str, tuple[str, ...]] = {
    r"get_redis_connection\(": ("eventlog/connections.py",),
    r"\b(?:redis\.)?(?:Strict)?Redis(?:\.from_url)?\(|ConnectionPool\(": (),
    r"(?<![\w.])EventStore\(": ("eventlog/connections.py",),
    # The per-thread clients inside the store; the embedded server's own bench speaks raw esdbclient.
    r"EventStoreDBClient\(": ("eventlog/store.py", "bench/eventstore.py"),
    r"register_at_fork\(": ("eventlog/connections.py",),
    r"threading\.local\(": ("eventlog/store.py",),  # the store's per-thread clients, reset by the fork rule
    # A lease names its holder; a worker process marks its own metric files dead; an open append call is
    # ended only by the process that opened it (a forked child drops its copy untouched). None is a per-pid cache.
    r"os\.getpid\(\)": ("eventlog/subscriptions/lock.py", "config/worker_signals.py", "eventlog/store.py"),
}


def _python_files() -> list[Path]:
    files: list[Path] = []
    for name in SOURCES:
        path = ROOT / name
        files.extend([path] if path.is_file() else sorted(path.rglob("*.py")))
    return [f for f in files if "/migrations/" not in f.as_posix() and "/server/" not in f.as_posix()]


@pytest.mark.parametrize("pattern", MAKERS)
def test_only_the_wiring_place_makes_connections_and_per_process_singletons(pattern):
    allowed = set(MAKERS[pattern])
    offenders = [f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
                 for path in _python_files() if path.relative_to(ROOT).as_posix() not in allowed
                 for number, line in enumerate(path.read_text().splitlines(), 1) if re.search(pattern, line)]

    assert not offenders, "get it from eventlog.connections (or register it there with per_process):\n" + \
        "\n".join(offenders)


def test_call_sites_use_the_store_a_test_swaps_in_and_get_the_real_one_back():
    import orders.event_types  # noqa: F401 - registers the domain events

    memory = InMemoryEventStore()
    with connections.use(store=memory):
        assert connections.event_store() is memory
        result = dispatch(create_order(), actor=CUSTOMER, catalogue=catalogue)  # no store passed

    assert memory.stream_version(result.stream_name) == result.new_version
    assert connections.event_store() is not memory


def test_conflict_retries_wait_a_random_share_of_a_doubling_capped_delay():
    delays = {attempt: [CONFLICT_BACKOFF.delay(attempt) for _ in range(200)] for attempt in (1, 4, 20)}

    assert all(0 <= d <= 0.002 for d in delays[1]) and all(0 <= d <= 0.016 for d in delays[4])
    assert max(delays[20]) <= 0.25 and max(delays[20]) > 0.2  # capped at 250 ms
    assert min(delays[20]) < 0.05  # full jitter: contenders spread out from zero, not from half the delay
