"""Lag in events and seconds, and the status an operator sees."""
from __future__ import annotations

from datetime import timedelta

from eventlog.subscriptions import keys
from eventlog.subscriptions.lag import measure_lag
from eventlog.subscriptions.lock import Lease
from eventlog.subscriptions.runner import run_subscriber
from eventlog.subscriptions.status import status

from .conftest import append_ticks


def test_lag_counts_unapplied_matching_events_and_the_age_of_the_oldest(tick_store, redis_client, counter, unique):
    append_ticks(tick_store, f"tick{unique}-a", range(4))
    append_ticks(tick_store, f"other{unique}-a", range(3))  # not this subscriber's: not lag
    first = tick_store.read_all(stream_prefixes=[f"tick{unique}-"], limit=1)[0]

    lag = measure_lag(counter.spec, store=tick_store, redis_client=redis_client,
                      now=first.recorded_at + timedelta(seconds=42))

    assert (lag.events, lag.capped, lag.display) == (4, False, "4")
    assert lag.seconds == 42.0
    assert lag.checkpoint is None and lag.head >= first.commit_position

    capped = measure_lag(counter.spec, store=tick_store, redis_client=redis_client, cap=3)
    assert (capped.events, capped.capped, capped.display) == (3, True, "3+")

    run_subscriber(counter, store=tick_store, redis_client=redis_client)
    caught_up = measure_lag(counter.spec, store=tick_store, redis_client=redis_client)
    assert (caught_up.events, caught_up.seconds, caught_up.display) == (0, 0.0, "0")


def test_status_reports_position_lag_state_and_last_run(tick_store, redis_client, counter, unique):
    append_ticks(tick_store, f"tick{unique}-a", range(3))

    before = status(counter, store=tick_store, redis_client=redis_client)
    assert (before.state, before.generation, before.checkpoint, before.lag_events) == ("idle", 1, None, 3)
    assert before.last_run_at is None and before.dead_letters == 0 and before.rebuild is None

    run_subscriber(counter, store=tick_store, redis_client=redis_client)
    after = status(counter.spec, store=tick_store, redis_client=redis_client)
    assert (after.state, after.lag_events, after.lag_seconds) == ("idle", 0, 0.0)
    assert after.checkpoint is not None and after.checkpoint <= after.head
    assert after.last_run_at is not None and after.last_error is None

    lease = Lease(redis_client, key=keys.lock(counter.spec.name), fence_key=keys.fence(counter.spec.name))
    assert lease.acquire()
    try:
        running = status(counter, store=tick_store, redis_client=redis_client)
        assert running.state == "running" and running.lock_holder == lease.value
    finally:
        lease.release()
