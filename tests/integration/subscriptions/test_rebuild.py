"""Blue/green rebuilds: a new generation fills while the old one serves, then the pointer switches."""
from __future__ import annotations

import pytest

from eventlog.subscriptions import keys
from eventlog.subscriptions.checkpoints import live_generation, read_checkpoint
from eventlog.subscriptions.dead_letters import list_dead_letters
from eventlog.subscriptions.errors import NotRebuildableError
from eventlog.subscriptions.lock import Lease
from eventlog.subscriptions.rebuild import abandon_rebuild, delete_generation, rebuild
from eventlog.subscriptions.runner import run_subscriber
from eventlog.subscriptions.status import status

from .conftest import FAST, TickCounter, append_ticks, doc, total


def gen_keys(client, name, generation):
    return list(client.scan_iter(match=keys.generation_pattern(name, generation)))


def expected_ns(tick_store, stream):
    return [event.data.n for event in tick_store.read_stream(stream)]


def test_rebuild_while_events_keep_arriving_misses_and_doubles_nothing(tick_store, redis_client, counter, unique):
    name = counter.spec.name
    streams = [f"tick{unique}-{letter}" for letter in "abc"]
    for stream in streams:
        append_ticks(tick_store, stream, range(10))
    run_subscriber(counter, store=tick_store, redis_client=redis_client)
    assert total(redis_client, name) == 30
    reports = []
    arrivals = iter(range(100, 200))

    def while_rebuilding(report):
        reports.append(report)
        # Life goes on: a command appends an event and the live worker catches generation 1 up
        # (during the switch phase the rebuild holds the live lock, so that run finds it busy).
        n = next(arrivals)
        append_ticks(tick_store, streams[n % 3], [n])
        live = run_subscriber(counter, store=tick_store, redis_client=redis_client)
        assert live.busy == (report.phase == "switching")
        if report.phase == "filling":
            assert live_generation(redis_client, name) == 1 and total(redis_client, name, 1) > 30

    result = rebuild(counter, store=tick_store, redis_client=redis_client, progress=while_rebuilding,
                     backoff=FAST, cleanup="inline")

    assert result.switched and (result.old_generation, result.generation) == (1, 2)
    assert live_generation(redis_client, name) == 2
    assert {report.phase for report in reports} == {"filling", "switching"}
    assert reports[-1].done == result.done and reports[0].rate > 0
    for stream in streams:  # every event exactly once, in order, in the new generation
        assert doc(redis_client, name, stream, generation=2)["ns"] == expected_ns(tick_store, stream)
    assert total(redis_client, name, 2) == sum(len(expected_ns(tick_store, s)) for s in streams)
    assert all(count == 1 for (generation, _), count in counter.calls.items() if generation == 2)
    assert gen_keys(redis_client, name, 1) == [] and read_checkpoint(redis_client, name, 1) is None
    assert redis_client.exists(keys.rebuild_state(name), keys.rebuild_lock(name), keys.lock(name)) == 0

    append_ticks(tick_store, streams[0], [999])  # and the live runner now feeds generation 2
    assert run_subscriber(counter, store=tick_store, redis_client=redis_client).generation == 2
    assert doc(redis_client, name, streams[0], generation=2)["ns"][-1] == 999


def test_an_interrupted_rebuild_continues_where_it_stopped(tick_store, redis_client, unique):
    counter = TickCounter(f"count_{unique}", f"tick{unique}-", batch_size=5)
    name, stream = counter.spec.name, f"tick{unique}-a"
    append_ticks(tick_store, stream, range(23))
    run_subscriber(counter, store=tick_store, redis_client=redis_client)

    def crash_on_second_commit(report):
        if report.done >= 10:
            raise KeyboardInterrupt("worker killed")

    with pytest.raises(KeyboardInterrupt):
        rebuild(counter, store=tick_store, redis_client=redis_client, progress=crash_on_second_commit)

    info = status(counter, store=tick_store, redis_client=redis_client)
    assert info.generation == 1 and info.state == "idle"  # generation 1 kept serving
    assert info.rebuild.generation == 2 and info.rebuild.done == 10 and not info.rebuild.running
    assert total(redis_client, name, 2) == 10

    bounded = rebuild(counter, store=tick_store, redis_client=redis_client, max_batches=1)
    assert not bounded.switched and bounded.done == 15

    result = rebuild(counter, store=tick_store, redis_client=redis_client, cleanup="thread")
    result.cleanup.join(timeout=5)

    assert result.switched and result.generation == 2 and result.done == 23
    assert doc(redis_client, name, stream, generation=2)["ns"] == list(range(23))
    assert all(count == 1 for (generation, _), count in counter.calls.items() if generation == 2)
    assert gen_keys(redis_client, name, 1) == []


def test_a_rebuild_is_a_fresh_chance_for_parked_events(tick_store, redis_client, counter, unique):
    name, stream = counter.spec.name, f"tick{unique}-a"
    append_ticks(tick_store, stream, range(5))
    counter.poison = {1, 3}
    run_subscriber(counter, store=tick_store, redis_client=redis_client, backoff=FAST)
    assert len(list_dead_letters(redis_client, name)) == 2

    counter.poison = {3}  # the bug behind tick 1 was fixed; tick 3 still fails
    result = rebuild(counter, store=tick_store, redis_client=redis_client, backoff=FAST, cleanup="none")

    assert result.switched
    assert doc(redis_client, name, stream, generation=2)["ns"] == [0, 1, 2, 4]
    [letter] = list_dead_letters(redis_client, name)
    assert letter.stream_position == 3 and letter.generation == 2
    assert len(gen_keys(redis_client, name, 1)) > 0  # cleanup="none": the caller deletes it
    assert delete_generation(redis_client, name, 1, chunk=1) > 0
    assert gen_keys(redis_client, name, 1) == []


def test_a_halted_rebuild_waits_for_the_fix_and_is_resumed(tick_store, redis_client, unique):
    counter = TickCounter(f"halt_{unique}", f"tick{unique}-", policy="halt")
    name, stream = counter.spec.name, f"tick{unique}-a"
    append_ticks(tick_store, stream, range(4))
    run_subscriber(counter, store=tick_store, redis_client=redis_client)
    counter.poison = {2}

    halted = rebuild(counter, store=tick_store, redis_client=redis_client, backoff=FAST)
    assert halted.halted and not halted.switched and "poison tick 2" in halted.last_error
    assert live_generation(redis_client, name) == 1 and total(redis_client, name, 1) == 4

    counter.poison.clear()
    result = rebuild(counter, store=tick_store, redis_client=redis_client, cleanup="inline")
    assert result.switched and doc(redis_client, name, stream, generation=2)["ns"] == [0, 1, 2, 3]
    assert list_dead_letters(redis_client, name) == []


def test_only_one_rebuild_at_a_time_and_only_for_rebuildable_subscribers(tick_store, redis_client, unique):
    manager = TickCounter(f"pm_{unique}", f"tick{unique}-", rebuildable=False)
    with pytest.raises(NotRebuildableError):
        rebuild(manager, store=tick_store, redis_client=redis_client)

    counter = TickCounter(f"count_{unique}", f"tick{unique}-")
    other = Lease(redis_client, key=keys.rebuild_lock(counter.spec.name), fence_key=keys.fence(counter.spec.name))
    assert other.acquire()
    try:
        assert rebuild(counter, store=tick_store, redis_client=redis_client).busy
    finally:
        other.release()


def test_abandoning_a_rebuild_forgets_its_generation(tick_store, redis_client, counter, unique):
    name = counter.spec.name
    append_ticks(tick_store, f"tick{unique}-a", range(15))
    rebuild(counter, store=tick_store, redis_client=redis_client, max_batches=1)
    assert total(redis_client, name, 2) == 10

    assert abandon_rebuild(redis_client, name) == 2

    assert gen_keys(redis_client, name, 2) == [] and not redis_client.exists(keys.rebuild_state(name))
    with pytest.raises(Exception, match="live"):
        delete_generation(redis_client, name, 1)


def test_a_fresh_rebuild_clears_generations_a_killed_cleanup_left_behind(tick_store, redis_client, counter, unique):
    name, stream = counter.spec.name, f"tick{unique}-a"
    append_ticks(tick_store, stream, range(3))
    run_subscriber(counter, store=tick_store, redis_client=redis_client)
    first = rebuild(counter, store=tick_store, redis_client=redis_client, cleanup="none")  # cleanup never ran
    assert first.switched and gen_keys(redis_client, name, 1)

    second = rebuild(counter, store=tick_store, redis_client=redis_client, cleanup="inline")

    assert second.switched and second.generation == 3
    assert gen_keys(redis_client, name, 1) == [] and gen_keys(redis_client, name, 2) == []
    assert doc(redis_client, name, stream, generation=3)["ns"] == [0, 1, 2]
