"""The catch-up runner: batches to the head, exactly-once effect, the single-writer lock and fencing."""
from __future__ import annotations

import time

from eventlog.subscriptions import keys
from eventlog.subscriptions.checkpoints import read_checkpoint
from eventlog.subscriptions.lock import Lease
from eventlog.subscriptions.runner import run_subscriber

from .conftest import FAST, append_ticks, doc, snapshot, total


def test_catches_up_in_batches_to_the_head(tick_store, redis_client, counter, unique):
    stream_a, stream_b = f"tick{unique}-a", f"tick{unique}-b"
    positions = append_ticks(tick_store, stream_a, range(13)) + append_ticks(tick_store, stream_b, range(12))
    commits = []

    result = run_subscriber(counter, store=tick_store, redis_client=redis_client, backoff=FAST,
                            on_commit=lambda progress: commits.append(progress.applied))

    assert result.applied == 25 and result.caught_up and not result.busy
    assert commits[:3] == [10, 20, 25]  # batch_size 10, then the checkpoint moves to the head
    assert doc(redis_client, counter.spec.name, stream_a) == {"count": 13, "ns": list(range(13))}
    assert doc(redis_client, counter.spec.name, stream_b)["count"] == 12
    assert result.checkpoint >= positions[-1]
    assert read_checkpoint(redis_client, counter.spec.name, 1) == result.checkpoint


def test_a_bounded_run_stops_after_max_batches_and_the_next_one_goes_on(tick_store, redis_client, counter, unique):
    append_ticks(tick_store, f"tick{unique}-a", range(25))

    first = run_subscriber(counter, store=tick_store, redis_client=redis_client, max_batches=1)
    second = run_subscriber(counter, store=tick_store, redis_client=redis_client)

    assert (first.applied, first.caught_up) == (10, False)
    assert (second.applied, second.caught_up) == (15, True)
    assert total(redis_client, counter.spec.name) == 25


def test_running_again_changes_nothing(tick_store, redis_client, counter, unique):
    append_ticks(tick_store, f"tick{unique}-a", range(7))
    run_subscriber(counter, store=tick_store, redis_client=redis_client)
    before = snapshot(redis_client, f"rm:{counter.spec.name}")

    again = run_subscriber(counter, store=tick_store, redis_client=redis_client)

    assert again.applied == 0
    assert snapshot(redis_client, f"rm:{counter.spec.name}") == before
    assert max(counter.calls.values()) == 1  # no event reached the handler twice


def test_new_events_are_picked_up_by_the_next_run(tick_store, redis_client, counter, unique):
    stream = f"tick{unique}-a"
    append_ticks(tick_store, stream, range(3))
    run_subscriber(counter, store=tick_store, redis_client=redis_client)
    append_ticks(tick_store, stream, range(3, 5))

    result = run_subscriber(counter, store=tick_store, redis_client=redis_client)

    assert result.applied == 2
    assert doc(redis_client, counter.spec.name, stream)["ns"] == [0, 1, 2, 3, 4]


def test_a_run_finding_the_lock_held_returns_busy_at_once(tick_store, redis_client, counter, unique):
    append_ticks(tick_store, f"tick{unique}-a", range(3))
    holder = Lease(redis_client, key=keys.lock(counter.spec.name), fence_key=keys.fence(counter.spec.name))
    assert holder.acquire()
    try:
        started = time.monotonic()
        result = run_subscriber(counter, store=tick_store, redis_client=redis_client)
        assert result.busy and result.applied == 0
        assert time.monotonic() - started < 0.5
        assert total(redis_client, counter.spec.name) == 0
    finally:
        holder.release()
    assert run_subscriber(counter, store=tick_store, redis_client=redis_client).applied == 3


def test_a_runner_whose_lock_was_taken_over_cannot_commit(tick_store, redis_client, counter, unique):
    append_ticks(tick_store, f"tick{unique}-a", range(5))
    name = counter.spec.name
    usurper = Lease(redis_client, key=keys.lock(name), fence_key=keys.fence(name))

    def pause_until_lock_expires_and_is_taken(event):
        if event.data.n == 2 and usurper.value is None:
            redis_client.pexpire(keys.lock(name), 1)  # our lease runs out while we are "paused"...
            time.sleep(0.01)
            assert usurper.acquire()  # ...and another worker takes the lock

    counter.hook = pause_until_lock_expires_and_is_taken
    try:
        result = run_subscriber(counter, store=tick_store, redis_client=redis_client)
        assert result.lost_lock and result.applied == 0
        assert total(redis_client, name) == 0  # the stale batch was not written
        assert read_checkpoint(redis_client, name, 1) is None
        assert redis_client.get(keys.lock(name)).decode() == usurper.value  # and the new holder keeps its lock
    finally:
        usurper.release()
    counter.hook = None

    assert run_subscriber(counter, store=tick_store, redis_client=redis_client).applied == 5
    assert total(redis_client, name) == 5


def test_fencing_tokens_only_grow(redis_client, unique):
    name = f"fence_{unique}"
    tokens = []
    for _ in range(3):
        lease = Lease(redis_client, key=keys.lock(name), fence_key=keys.fence(name))
        assert lease.acquire()
        tokens.append(lease.token)
        lease.release()
    assert tokens == sorted(tokens) and len(set(tokens)) == 3


def test_the_lease_is_renewed_while_working(tick_store, redis_client, counter, unique):
    append_ticks(tick_store, f"tick{unique}-a", range(3))
    counter.hook = lambda event: time.sleep(0.15)  # each event takes longer than the whole TTL

    result = run_subscriber(counter, store=tick_store, redis_client=redis_client, lock_ttl=0.3)

    assert result.applied == 3 and not result.lost_lock


def test_the_holder_looks_again_after_releasing_so_no_nudge_is_lost(tick_store, redis_client, counter, unique,
                                                                     monkeypatch):
    stream = f"tick{unique}-a"
    append_ticks(tick_store, stream, range(2))
    original = Lease.release
    late = []

    def release_after_a_late_event(self):
        if not late:  # an event lands after the last read but before the lock is free;
            late.extend(append_ticks(tick_store, stream, [99]))  # its nudge found the lock busy
        original(self)

    monkeypatch.setattr(Lease, "release", release_after_a_late_event)
    result = run_subscriber(counter, store=tick_store, redis_client=redis_client)

    assert result.applied == 3
    assert doc(redis_client, counter.spec.name, stream)["ns"] == [0, 1, 99]


def test_concurrent_runs_apply_every_event_exactly_once(tick_store, redis_client, counter, unique):
    import threading

    stream = f"tick{unique}-a"
    append_ticks(tick_store, stream, range(20))
    errors = []

    def worker():
        try:
            for _ in range(5):
                run_subscriber(counter, store=tick_store, redis_client=redis_client)
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    append_ticks(tick_store, stream, range(20, 30))
    for thread in threads:
        thread.join()
    run_subscriber(counter, store=tick_store, redis_client=redis_client)

    assert errors == []
    assert doc(redis_client, counter.spec.name, stream)["ns"] == list(range(30))
    assert max(counter.calls.values()) == 1


def test_works_with_a_client_that_decodes_responses(tick_store, redis_client, counter, unique):
    import os

    import redis

    from eventlog.subscriptions.consistency import wait_for_position
    from eventlog.subscriptions.dead_letters import list_dead_letters
    from eventlog.subscriptions.status import status

    client = redis.Redis.from_url(os.environ["REDIS_URL"], decode_responses=True)
    try:
        position = append_ticks(tick_store, f"tick{unique}-a", range(3))[-1]
        counter.poison = {1}
        result = run_subscriber(counter, store=tick_store, redis_client=client, backoff=FAST)
        assert (result.applied, result.parked) == (2, 1)
        assert wait_for_position(client, [counter.spec.name], position, timeout=0.5)
        assert len(list_dead_letters(client, counter.spec.name)) == 1
        assert status(counter, store=tick_store, redis_client=client).dead_letters == 1
    finally:
        client.close()
