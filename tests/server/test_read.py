"""Reading a stream and `$all`, with counts, directions, positions and server-side filters."""
from __future__ import annotations

import uuid

import pytest
from esdbclient import EventStoreDBClient, StreamState
from esdbclient.exceptions import NotFound

from tests.server.helpers import event


@pytest.fixture
def five(client: EventStoreDBClient, stream: str) -> list:
    """A stream with five events, types E0..E4."""
    events = [event(f"E{i}") for i in range(5)]
    client.append_to_stream(stream, current_version=StreamState.NO_STREAM, events=events)
    return events


def types(recorded: object) -> list[str]:
    return [r.type for r in recorded]  # type: ignore[attr-defined]


def test_stream_forwards_backwards_counts(client: EventStoreDBClient, stream: str, five: list) -> None:
    assert types(client.get_stream(stream)) == ["E0", "E1", "E2", "E3", "E4"]
    assert types(client.get_stream(stream, limit=2)) == ["E0", "E1"]
    assert types(client.get_stream(stream, stream_position=3)) == ["E3", "E4"]
    assert types(client.get_stream(stream, stream_position=2, limit=2)) == ["E2", "E3"]
    assert types(client.get_stream(stream, backwards=True)) == ["E4", "E3", "E2", "E1", "E0"]
    assert types(client.get_stream(stream, backwards=True, limit=2)) == ["E4", "E3"]
    assert types(client.get_stream(stream, stream_position=1, backwards=True)) == ["E1", "E0"]
    assert types(client.get_stream(stream, stream_position=99, backwards=True, limit=1)) == ["E4"]
    assert client.get_stream(stream, stream_position=5) == ()
    assert client.get_current_version(stream) == 4


def test_missing_stream_is_not_found(client: EventStoreDBClient, stream: str) -> None:
    with pytest.raises(NotFound):
        client.get_stream(stream)
    with pytest.raises(NotFound):
        client.get_stream(stream, backwards=True, limit=1)
    assert client.get_current_version(stream) is StreamState.NO_STREAM


def test_all_forwards_from_a_position_includes_it(client: EventStoreDBClient, stream: str, five: list) -> None:
    positions = [r.commit_position for r in client.get_stream(stream)]
    got = list(client.read_all(commit_position=positions[2], limit=3))
    assert [(r.stream_name, r.type) for r in got] == [(stream, "E2"), (stream, "E3"), (stream, "E4")]
    assert [r.commit_position for r in got] == positions[2:]


def test_all_backwards_from_a_position_excludes_it(client: EventStoreDBClient, stream: str, five: list) -> None:
    positions = [r.commit_position for r in client.get_stream(stream)]
    got = list(client.read_all(commit_position=positions[2], backwards=True, limit=2))
    assert types(got) == ["E1", "E0"]
    latest = list(client.read_all(backwards=True, limit=1))
    assert latest[0].commit_position >= positions[4]
    assert client.get_commit_position() >= positions[4]


def test_all_forwards_from_start_is_in_position_order(client: EventStoreDBClient) -> None:
    recorded = list(client.read_all(filter_exclude=[]))
    positions = [r.commit_position for r in recorded]
    assert positions == sorted(positions) and len(set(positions)) == len(positions)
    assert positions[0] > 0  # a subscription from position 0 must not skip the first event


def test_system_events_are_in_all_but_hidden_by_the_default_filter(client: EventStoreDBClient,
                                                                   stream: str) -> None:
    appended = client.append_to_stream(stream, current_version=StreamState.NO_STREAM, events=event())
    client.set_stream_metadata(stream, metadata={"$maxCount": 10})
    everything = list(client.read_all(filter_exclude=[]))
    assert any(r.type == "$epoch-information" for r in everything)
    (metadata,) = [r for r in everything if r.type == "$metadata" and r.stream_name == f"$${stream}"]
    assert metadata.commit_position > appended
    assert not [r for r in client.read_all() if r.type.startswith("$")]
    # The client's head position skips system events unless asked not to.
    assert client.get_commit_position() == appended
    assert client.get_commit_position(filter_exclude=[]) == metadata.commit_position


def test_filter_by_event_type_regex_and_prefix(client: EventStoreDBClient, stream: str) -> None:
    tag = uuid.uuid4().hex[:8]
    client.append_to_stream(stream, current_version=StreamState.NO_STREAM,
                            events=[event(f"Order{tag}Placed"), event(f"Invoice{tag}Sent"), event(f"Order{tag}Paid")])
    got = list(client.read_all(filter_include=[f"Order{tag}.*"]))
    assert types(got) == [f"Order{tag}Placed", f"Order{tag}Paid"]
    got = list(client.read_all(filter_include=[f"Order{tag}Paid", f"Invoice{tag}.*"]))
    assert types(got) == [f"Invoice{tag}Sent", f"Order{tag}Paid"]
    got = list(client.read_all(filter_include=[f"Order{tag}.*"], backwards=True, limit=1))
    assert types(got) == [f"Order{tag}Paid"]


def test_filter_by_stream_name(client: EventStoreDBClient) -> None:
    prefix = f"order-{uuid.uuid4().hex[:8]}"
    for name in (f"{prefix}-1", f"other-{uuid.uuid4().hex}", f"{prefix}-2"):
        client.append_to_stream(name, current_version=StreamState.NO_STREAM, events=event())
    got = list(client.read_all(filter_include=[f"{prefix}-.*"], filter_by_stream_name=True))
    assert [r.stream_name for r in got] == [f"{prefix}-1", f"{prefix}-2"]
    got = list(client.read_all(filter_include=[f"{prefix}-2"], filter_by_stream_name=True))
    assert [r.stream_name for r in got] == [f"{prefix}-2"]


def test_filter_that_matches_nothing_gives_position_zero(client: EventStoreDBClient) -> None:
    assert client.get_commit_position(filter_include=[f"Nothing{uuid.uuid4().hex}"]) == 0
