"""Partitioned subscribers: each partition reads only its streams, commits on its own, and is taken over."""
from __future__ import annotations

import dataclasses
import json
import time
from uuid import uuid4

import pytest

from eventlog.subscriptions import keys
from eventlog.subscriptions.checkpoints import live_checkpoints, live_generation, read_checkpoint
from eventlog.subscriptions.consistency import wait_for_position
from eventlog.subscriptions.dead_letters import list_dead_letters, retry_dead_letter
from eventlog.subscriptions.lock import Lease
from eventlog.subscriptions.partitions import live_partition_count, partition_of_stream, partitions_of
from eventlog.subscriptions.rebuild import rebuild
from eventlog.subscriptions.runner import run_subscriber
from eventlog.subscriptions.status import status
from eventlog.subscriptions.versions import outdated

from .conftest import FAST, TickCounter, append_ticks


def split(counter: TickCounter, partitions: int) -> TickCounter:
    """The same counter (same name, same calls record) run in `partitions` partitions."""
    counter.spec = dataclasses.replace(counter.spec, partitions=partitions, partitionable=True)
    return counter


def streams_of(unique: str, count: int = 12) -> list[str]:
    return [f"tick{unique}-{uuid4()}" for _ in range(count)]


def counted(client, counter: TickCounter, stream: str, generation: int | None = None) -> list[int] | None:
    """The ticks a stream's document holds, in the partition that owns the stream."""
    spec = counter.spec
    generation = generation or live_generation(client, spec.name)
    scope = partition_of_stream(spec, stream, live_partition_count(client, spec.name)).scope
    raw = client.get(keys.read_model_key(scope, generation, f"stream:{stream}"))
    return None if raw is None else json.loads(raw)["ns"]


def expected(tick_store, stream):
    return [event.data.n for event in tick_store.read_stream(stream)]


@pytest.fixture
def four(counter: TickCounter) -> TickCounter:
    return split(counter, 4)


def test_each_partition_reads_only_its_streams_and_commits_under_its_hash_tag(tick_store, redis_client, four,
                                                                              unique):
    streams = streams_of(unique)
    for stream in streams:
        append_ticks(tick_store, stream, range(3))
    seen: dict[str, set[str]] = {}

    def record(event):  # which partition is handling which stream, from the lock it runs under
        holders = [part.scope for part in partitions_of(four.spec) if redis_client.exists(keys.lock(part.scope))]
        seen.setdefault(event.stream_name, set()).update(holders)
    four.hook = record

    result = run_subscriber(four, store=tick_store, redis_client=redis_client, backoff=FAST)

    assert result.applied == 36 and len(result.partitions) == 4 and result.caught_up
    assert live_partition_count(redis_client, four.spec.name) == 4  # nothing was built: it took the spec's P
    for stream in streams:
        assert counted(redis_client, four, stream) == expected(tick_store, stream)
        assert seen[stream] == {partition_of_stream(four.spec, stream).scope}
    assert all(count == 1 for count in four.calls.values())  # nothing applied twice
    for part in partitions_of(four.spec):  # a partition's keys and checkpoint share one hash tag
        tag = part.scope
        assert tag.startswith("{") and tag.endswith("}")
        assert read_checkpoint(redis_client, tag, 1) is not None
        for key in redis_client.scan_iter(match=f"rm:{tag}:g1:stream:*"):
            assert partition_of_stream(four.spec, key.decode().split(":stream:")[1]).scope == tag
    assert redis_client.keys(f"rm:{four.spec.name}:*") == []  # no unpartitioned keys


def test_a_held_partition_is_skipped_and_taken_over_once_its_lease_expires(tick_store, redis_client, four, unique):
    streams = streams_of(unique, 16)
    for stream in streams:
        append_ticks(tick_store, stream, [1])
    run_subscriber(four, store=tick_store, redis_client=redis_client, backoff=FAST)  # every partition exists
    for stream in streams:
        append_ticks(tick_store, stream, [2])
    dead_worker = partitions_of(four.spec)[1]
    crashed = Lease(redis_client, key=keys.lock(dead_worker.scope), fence_key=keys.fence(dead_worker.scope),
                    ttl=1.0)
    assert crashed.acquire()
    crashed._stop.set()  # a killed worker stops renewing; its lease runs out by itself

    first = run_subscriber(four, store=tick_store, redis_client=redis_client, backoff=FAST)

    busy = [r for r in first.partitions if r.busy]
    assert [r.name for r in busy] == [dead_worker.scope] and not first.busy
    mine = [s for s in streams if partition_of_stream(four.spec, s) == dead_worker]
    assert mine and all(counted(redis_client, four, s) == [1] for s in mine)
    assert all(counted(redis_client, four, s) == [1, 2] for s in streams if s not in mine)

    while redis_client.exists(keys.lock(dead_worker.scope)):  # its TTL runs out (nobody renews it)
        time.sleep(0.02)
    second = run_subscriber(four, store=tick_store, redis_client=redis_client, backoff=FAST)

    assert not any(r.busy for r in second.partitions) and second.applied == len(mine)
    assert all(counted(redis_client, four, s) == [1, 2] for s in streams)
    assert all(count == 1 for count in four.calls.values())


def test_a_stale_holder_of_a_partition_cannot_commit_after_a_takeover(tick_store, redis_client, four, unique):
    stream = streams_of(unique, 1)[0]
    append_ticks(tick_store, stream, [1])
    part = partition_of_stream(four.spec, stream)
    taken_over = []

    def takeover(event):  # while the first worker handles the event, its lease expires and another takes it
        four.hook = None
        redis_client.delete(keys.lock(part.scope))
        taken_over.append(run_subscriber(four, store=tick_store, redis_client=redis_client, backoff=FAST))
    four.hook = takeover

    result = run_subscriber(four, store=tick_store, redis_client=redis_client, backoff=FAST, partitions=[part.index])

    assert result.lost_lock and taken_over[0].applied == 1
    assert counted(redis_client, four, stream) == [1]  # applied once: the stale commit failed


def test_status_lag_dead_letters_and_waiting_see_every_partition(tick_store, redis_client, four, unique):
    streams = streams_of(unique, 8)
    positions = [append_ticks(tick_store, stream, [1, 2])[-1] for stream in streams]
    four.poison = {2}
    assert status(four, store=tick_store, redis_client=redis_client).lag_events >= 16

    run_subscriber(four, store=tick_store, redis_client=redis_client, backoff=FAST)

    now = status(four, store=tick_store, redis_client=redis_client)
    assert now.partition_count == 4 and len(now.partitions) == 4 and now.lag_events == 0
    assert now.dead_letters == 8 == sum(p.dead_letters for p in now.partitions)
    assert [p.label for p in now.partitions] == [f"{four.spec.name}[{i}/4]" for i in range(4)]
    parked = list_dead_letters(redis_client, four.spec.name)
    assert sorted(d.stream_name for d in parked) == sorted(streams)
    assert wait_for_position(redis_client, [four.spec.name], max(positions), timeout=0.5)
    gen, checkpoint = live_checkpoints(redis_client, [four.spec.name])[four.spec.name]
    assert checkpoint == min(read_checkpoint(redis_client, p.scope, gen) for p in partitions_of(four.spec))

    four.poison = set()
    outcome = retry_dead_letter(four, parked[0].event_id, store=tick_store, redis_client=redis_client)

    assert outcome.succeeded and len(list_dead_letters(redis_client, four.spec.name)) == 7
    assert counted(redis_client, four, parked[0].stream_name) == [1, 2]


def test_changing_the_partition_count_is_a_blue_green_rebuild(tick_store, redis_client, counter, unique):
    name = counter.spec.name
    streams = streams_of(unique, 10)
    for stream in streams:
        append_ticks(tick_store, stream, range(4))
    run_subscriber(counter, store=tick_store, redis_client=redis_client, backoff=FAST)  # built with P = 1
    assert live_partition_count(redis_client, name) == 1 and outdated([counter], redis_client=redis_client) == []
    split(counter, 4)
    assert outdated([counter], redis_client=redis_client) == [counter]  # the version check sees P
    live = run_subscriber(counter, store=tick_store, redis_client=redis_client, backoff=FAST)
    assert live.partitions == ()  # until the switch, the serving generation keeps its one partition

    result = rebuild(counter, store=tick_store, redis_client=redis_client, backoff=FAST, cleanup="inline")

    assert result.switched and (result.old_generation, result.generation) == (1, 2)
    assert live_partition_count(redis_client, name) == 4 and live_generation(redis_client, name) == 2
    for stream in streams:
        assert counted(redis_client, counter, stream) == expected(tick_store, stream)
    assert all(count == 1 for (generation, _), count in counter.calls.items() if generation == 2)
    assert redis_client.keys(f"rm:{name}:*") == [] and read_checkpoint(redis_client, name, 1) is None
    assert outdated([counter], redis_client=redis_client) == []
    append_ticks(tick_store, streams[0], [99])
    assert run_subscriber(counter, store=tick_store, redis_client=redis_client, backoff=FAST).applied == 1
    assert counted(redis_client, counter, streams[0])[-1] == 99

    split(counter, 2)  # and back to fewer partitions
    again = rebuild(counter, store=tick_store, redis_client=redis_client, backoff=FAST, cleanup="inline")
    assert again.switched and live_partition_count(redis_client, name) == 2
    assert all(counted(redis_client, counter, s) == expected(tick_store, s) for s in streams)
    assert not [k for k in redis_client.keys("rm:*") if b"of4}" in k]


def test_workers_fill_partitions_side_by_side_and_the_last_one_switches(tick_store, redis_client, four, unique):
    name = four.spec.name
    streams = streams_of(unique, 8)
    for stream in streams:
        append_ticks(tick_store, stream, range(3))
    run_subscriber(four, store=tick_store, redis_client=redis_client, backoff=FAST)
    four.spec = dataclasses.replace(four.spec, version=2)
    other = partitions_of(four.spec)[2]
    other_worker = Lease(redis_client, key=keys.rebuild_lock(other.scope), fence_key=keys.fence(other.scope))
    assert other_worker.acquire()  # another worker is filling partition 2 right now
    try:
        first = rebuild(four, store=tick_store, redis_client=redis_client, backoff=FAST, cleanup="inline")
    finally:
        other_worker.release()

    assert first.busy and not first.switched and live_generation(redis_client, name) == 1
    second = rebuild(four, store=tick_store, redis_client=redis_client, backoff=FAST, cleanup="inline")

    assert second.switched and live_generation(redis_client, name) == 2
    assert all(counted(redis_client, four, s) == expected(tick_store, s) for s in streams)
    assert all(count == 1 for (generation, _), count in four.calls.items() if generation == 2)


def test_a_process_manager_changes_its_partition_count_in_place_from_the_slowest_checkpoint(
        tick_store, redis_client, unique):
    manager = TickCounter(f"pm_{unique}", f"tick{unique}-", rebuildable=False)
    streams = streams_of(unique, 6)
    for stream in streams:
        append_ticks(tick_store, stream, [1])
    run_subscriber(manager, store=tick_store, redis_client=redis_client, backoff=FAST)
    position = read_checkpoint(redis_client, manager.spec.name, 1)
    split(manager, 4)
    for stream in streams:
        append_ticks(tick_store, stream, [2])

    result = run_subscriber(manager, store=tick_store, redis_client=redis_client, backoff=FAST)

    assert live_partition_count(redis_client, manager.spec.name) == 4 and len(result.partitions) == 4
    assert result.applied == 6  # only what came after the old checkpoint
    assert read_checkpoint(redis_client, manager.spec.name, 1) is None  # the old partition's is gone
    assert all(read_checkpoint(redis_client, p.scope, 1) >= position for p in partitions_of(manager.spec))
    assert all(count == 1 for count in manager.calls.values())


def test_a_partitioned_read_model_rebuilt_into_one_partition_goes_back_to_its_plain_keys(
        tick_store, redis_client, four, unique):
    streams = streams_of(unique, 4)
    for stream in streams:
        append_ticks(tick_store, stream, range(2))
    run_subscriber(four, store=tick_store, redis_client=redis_client, backoff=FAST)
    split(four, 1)

    result = rebuild(four, store=tick_store, redis_client=redis_client, backoff=FAST, cleanup="inline")

    assert result.switched and live_partition_count(redis_client, four.spec.name) == 1
    assert all(counted(redis_client, four, s) == [0, 1] for s in streams)
    assert not [k for k in redis_client.keys("rm:*") if b"of4}" in k]
