"""Catch-up subscriptions to `$all` and to a stream: history, caught-up, then live events."""
from __future__ import annotations

import threading
import uuid

import pytest
from esdbclient import EventStoreDBClient, StreamState
from esdbclient.events import CaughtUp, Checkpoint
from esdbclient.exceptions import StreamIsDeleted

from tests.server.helpers import event

TIMEOUT = 10  # a deadline on every subscription, so a broken server fails a test instead of hanging it


def take_until(subscription: object, predicate: object) -> list:
    """Items from the subscription up to and including the first that satisfies predicate."""
    taken = []
    for item in subscription:  # type: ignore[attr-defined]
        taken.append(item)
        if predicate(item):  # type: ignore[operator]
            return taken
    raise AssertionError("subscription ended")


def test_subscribe_to_all_catches_up_then_delivers_live(client: EventStoreDBClient, stream: str) -> None:
    first = client.append_to_stream(stream, current_version=StreamState.NO_STREAM, events=event("Before"))
    with client.subscribe_to_all(commit_position=first - 1, include_caught_up=True, timeout=TIMEOUT) as sub:
        history = take_until(sub, lambda item: isinstance(item, CaughtUp))
        assert [r.type for r in history if not isinstance(r, CaughtUp)][0] == "Before"
        live = event("Live")
        # Appended from another thread while the subscription waits, like a real writer would.
        threading.Timer(0.2, lambda: client.append_to_stream(stream, current_version=0, events=live)).start()
        got = take_until(sub, lambda item: getattr(item, "id", None) == live.id)
        assert got[-1].stream_position == 1 and got[-1].commit_position > first


def test_subscribe_to_all_from_a_position_is_exclusive(client: EventStoreDBClient, stream: str) -> None:
    e1, e2, e3 = event("One"), event("Two"), event("Three")
    position1 = client.append_to_stream(stream, current_version=StreamState.NO_STREAM, events=e1)
    client.append_to_stream(stream, current_version=0, events=[e2, e3])
    with client.subscribe_to_all(commit_position=position1, timeout=TIMEOUT,
                                 filter_include=[stream], filter_by_stream_name=True) as sub:
        got = take_until(sub, lambda r: r.id == e3.id)
    assert [r.id for r in got] == [e2.id, e3.id]


def test_subscribe_to_all_from_end_only_sees_new_events(client: EventStoreDBClient, stream: str) -> None:
    client.append_to_stream(stream, current_version=StreamState.NO_STREAM, events=event("Old"))
    with client.subscribe_to_all(from_end=True, timeout=TIMEOUT) as sub:
        new = event("New")
        client.append_to_stream(stream, current_version=0, events=new)
        got = take_until(sub, lambda r: r.id == new.id)
    assert "Old" not in [r.type for r in got if r.stream_name == stream]


def test_filtered_subscription_sends_checkpoints(client: EventStoreDBClient) -> None:
    tag = uuid.uuid4().hex
    start = client.get_commit_position(filter_exclude=[])
    for i in range(5):
        client.append_to_stream(f"noise-{tag}-{i}", current_version=StreamState.NO_STREAM, events=event())
    wanted = event(f"Wanted{tag}")
    client.append_to_stream(f"wanted-{tag}", current_version=StreamState.NO_STREAM, events=wanted)
    with client.subscribe_to_all(commit_position=start, filter_include=[f"Wanted{tag}"], include_checkpoints=True,
                                 include_caught_up=True, window_size=1, checkpoint_interval_multiplier=2,
                                 timeout=TIMEOUT) as sub:
        got = take_until(sub, lambda item: isinstance(item, CaughtUp))
    checkpoints = [item.commit_position for item in got if isinstance(item, Checkpoint)]
    events = [item for item in got if type(item).__name__ == "RecordedEvent"]
    assert [r.id for r in events] == [wanted.id]
    assert len(checkpoints) >= 3 and checkpoints == sorted(checkpoints)
    # A checkpoint never points past the head: restarting from it (exclusive) misses nothing.
    assert checkpoints[-1] <= client.get_commit_position(filter_exclude=[])


def test_checkpoints_advance_while_everything_is_filtered_out(client: EventStoreDBClient, stream: str) -> None:
    with client.subscribe_to_all(from_end=True, filter_include=[f"Never{uuid.uuid4().hex}"], include_checkpoints=True,
                                 window_size=1, checkpoint_interval_multiplier=1, timeout=TIMEOUT) as sub:
        position = client.append_to_stream(stream, current_version=StreamState.NO_STREAM, events=event())
        got = take_until(sub, lambda item: isinstance(item, Checkpoint) and item.commit_position >= position)
    assert got[-1].commit_position == position


def test_subscribe_to_stream_from_start_then_live(client: EventStoreDBClient, stream: str) -> None:
    client.append_to_stream(stream, current_version=StreamState.NO_STREAM, events=[event("A"), event("B")])
    other = f"{stream}-other"
    with client.subscribe_to_stream(stream, include_caught_up=True, timeout=TIMEOUT) as sub:
        history = take_until(sub, lambda item: isinstance(item, CaughtUp))
        assert [r.type for r in history[:-1]] == ["A", "B"]
        client.append_to_stream(other, current_version=StreamState.NO_STREAM, events=event("Elsewhere"))
        client.append_to_stream(stream, current_version=1, events=event("C"))
        got = take_until(sub, lambda r: r.type == "C")
    assert [(r.stream_name, r.stream_position) for r in got] == [(stream, 2)]


def test_subscribe_to_stream_from_revision_is_exclusive_and_waits_for_new_streams(client: EventStoreDBClient,
                                                                                   stream: str) -> None:
    with client.subscribe_to_stream(stream, timeout=TIMEOUT) as sub:
        client.append_to_stream(stream, current_version=StreamState.NO_STREAM,
                                events=[event("A"), event("B"), event("C")])
        assert [r.type for r in take_until(sub, lambda r: r.type == "C")] == ["A", "B", "C"]
    with client.subscribe_to_stream(stream, stream_position=1, timeout=TIMEOUT) as sub:
        assert [r.type for r in take_until(sub, lambda r: r.type == "C")] == ["C"]
    with client.subscribe_to_stream(stream, from_end=True, timeout=TIMEOUT) as sub:
        client.append_to_stream(stream, current_version=2, events=event("D"))
        assert [r.type for r in take_until(sub, lambda r: r.type == "D")] == ["D"]


def test_subscription_to_tombstoned_stream_fails(client: EventStoreDBClient, stream: str) -> None:
    client.append_to_stream(stream, current_version=StreamState.NO_STREAM, events=event())
    client.tombstone_stream(stream, current_version=0)
    with pytest.raises(StreamIsDeleted):
        list(client.subscribe_to_stream(stream, timeout=TIMEOUT))


def test_many_idle_subscribers_do_not_block_the_server(client: EventStoreDBClient, stream: str) -> None:
    subscriptions = [client.subscribe_to_all(from_end=True, timeout=TIMEOUT) for _ in range(128)]
    try:
        # With 128 subscriptions parked (more than any sane thread pool), appends and reads are
        # still served at once.
        position = client.append_to_stream(stream, current_version=StreamState.NO_STREAM, events=event("Ping"))
        assert client.get_stream(stream)[0].commit_position == position
        for sub in subscriptions[:4]:
            assert next(iter(sub)).commit_position == position
    finally:
        for sub in subscriptions:
            sub.stop()
