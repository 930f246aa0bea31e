"""Read-your-writes: waiting for subscribers to pass a command's commit position."""
from __future__ import annotations

import threading
import time

from eventlog.subscriptions.consistency import wait_for_position
from eventlog.subscriptions.runner import run_subscriber

from .conftest import TickCounter, append_ticks


def test_returns_true_promptly_once_a_run_passes_the_position(tick_store, redis_client, counter, unique):
    position = append_ticks(tick_store, f"tick{unique}-a", range(3))[-1]
    worker = threading.Timer(0.1, run_subscriber, args=(counter,),
                             kwargs={"store": tick_store, "redis_client": redis_client})
    started = time.monotonic()
    worker.start()
    try:
        assert wait_for_position(redis_client, [counter.spec.name], position, timeout=5.0)
        assert time.monotonic() - started < 1.5
    finally:
        worker.join()


def test_waits_for_every_named_subscriber(tick_store, redis_client, counter, unique):
    other = TickCounter(f"other_{unique}", f"tick{unique}-")
    position = append_ticks(tick_store, f"tick{unique}-a", range(2))[-1]
    run_subscriber(counter, store=tick_store, redis_client=redis_client)

    assert not wait_for_position(redis_client, [counter.spec.name, other.spec.name], position, timeout=0.2)

    worker = threading.Timer(0.05, run_subscriber, args=(other,),
                             kwargs={"store": tick_store, "redis_client": redis_client})
    worker.start()
    try:
        assert wait_for_position(redis_client, [counter.spec.name, other.spec.name], position, timeout=5.0)
    finally:
        worker.join()


def test_returns_false_after_the_timeout_when_nothing_runs(tick_store, redis_client, counter, unique):
    position = append_ticks(tick_store, f"tick{unique}-a", range(1))[-1]
    started = time.monotonic()

    assert not wait_for_position(redis_client, [counter.spec.name], position, timeout=0.3)

    assert 0.3 <= time.monotonic() - started < 1.0


def test_returns_at_once_when_already_past_and_for_positions_of_other_streams(tick_store, redis_client, counter,
                                                                              unique):
    append_ticks(tick_store, f"tick{unique}-a", range(1))
    unrelated = append_ticks(tick_store, f"other{unique}-a", range(1))[-1]  # not this subscriber's stream
    run_subscriber(counter, store=tick_store, redis_client=redis_client)

    started = time.monotonic()
    assert wait_for_position(redis_client, [counter.spec.name], unrelated, timeout=1.0)
    assert wait_for_position(redis_client, [], unrelated, timeout=1.0)
    assert time.monotonic() - started < 0.2
