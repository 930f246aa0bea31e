"""Soft delete, tombstone, and stream metadata ($maxCount, $tb) as EventStoreDB applies them."""
from __future__ import annotations

import pytest
from esdbclient import EventStoreDBClient, StreamState
from esdbclient.exceptions import NotFound, StreamIsDeleted, WrongCurrentVersion

from tests.server.helpers import event

MAX_LONG = 9223372036854775807


def test_soft_delete_hides_the_stream_and_a_later_append_continues_revisions(client: EventStoreDBClient,
                                                                               stream: str) -> None:
    client.append_to_stream(stream, current_version=StreamState.NO_STREAM, events=[event("A"), event("B")])
    with pytest.raises(WrongCurrentVersion):
        client.delete_stream(stream, current_version=0)
    client.delete_stream(stream, current_version=1)
    client.delete_stream(stream, current_version=1)  # deleting again at the same version is fine
    with pytest.raises(NotFound):
        client.get_stream(stream)
    assert client.get_current_version(stream) is StreamState.NO_STREAM
    assert client.get_stream_metadata(stream)[0]["$tb"] == MAX_LONG

    with pytest.raises(WrongCurrentVersion):
        client.append_to_stream(stream, current_version=0, events=event("C"))
    client.append_to_stream(stream, current_version=StreamState.NO_STREAM, events=event("C"))
    client.append_to_stream(stream, current_version=2, events=event("D"))
    recorded = client.get_stream(stream)
    assert [(r.type, r.stream_position) for r in recorded] == [("C", 2), ("D", 3)]
    assert client.get_stream_metadata(stream)[0]["$tb"] == 2


def test_soft_deleted_stream_accepts_its_last_revision_and_refuses_stream_exists(client: EventStoreDBClient,
                                                                                  stream: str) -> None:
    client.append_to_stream(stream, current_version=StreamState.NO_STREAM, events=[event(), event()])
    client.delete_stream(stream, current_version=StreamState.ANY)
    with pytest.raises(StreamIsDeleted):
        client.delete_stream(stream, current_version=StreamState.EXISTS)
    client.append_to_stream(stream, current_version=1, events=event("Back"))
    assert [(r.type, r.stream_position) for r in client.get_stream(stream)] == [("Back", 2)]


def test_deleting_a_stream_that_never_existed_is_not_found(client: EventStoreDBClient, stream: str) -> None:
    with pytest.raises(NotFound):
        client.delete_stream(stream, current_version=StreamState.ANY)
    with pytest.raises(NotFound):
        client.delete_stream(stream, current_version=StreamState.NO_STREAM)


def test_deleted_events_stay_in_all(client: EventStoreDBClient, stream: str) -> None:
    position = client.append_to_stream(stream, current_version=StreamState.NO_STREAM, events=event("Kept"))
    client.delete_stream(stream, current_version=0)
    assert [r.type for r in client.read_all(commit_position=position, limit=1)] == ["Kept"]


def test_tombstone_is_for_ever(client: EventStoreDBClient, stream: str) -> None:
    client.append_to_stream(stream, current_version=StreamState.NO_STREAM, events=[event(), event()])
    with pytest.raises(WrongCurrentVersion):
        client.tombstone_stream(stream, current_version=0)
    client.tombstone_stream(stream, current_version=1)
    with pytest.raises(StreamIsDeleted):
        client.get_stream(stream)
    with pytest.raises(StreamIsDeleted):
        client.get_current_version(stream)
    with pytest.raises(StreamIsDeleted):
        client.append_to_stream(stream, current_version=StreamState.ANY, events=[event()])
    with pytest.raises(StreamIsDeleted):
        client.tombstone_stream(stream, current_version=StreamState.ANY)
    with pytest.raises(StreamIsDeleted):
        client.delete_stream(stream, current_version=StreamState.ANY)
    with pytest.raises(StreamIsDeleted):
        client.get_stream_metadata(stream)
    # The tombstone itself is a system event in $all, at revision long.MaxValue.
    (tombstone,) = [r for r in client.read_all(filter_exclude=[], backwards=True, limit=20)
                    if r.stream_name == stream and r.type == "$streamDeleted"]
    assert tombstone.stream_position == MAX_LONG


def test_single_event_append_to_tombstoned_stream_fails_with_failed_precondition(client: EventStoreDBClient,
                                                                                  stream: str) -> None:
    # esdbclient maps the Append RPC's "stream deleted" status to its generic FailedPrecondition.
    from esdbclient.exceptions import FailedPrecondition

    client.tombstone_stream(stream, current_version=StreamState.ANY)
    with pytest.raises(FailedPrecondition, match="is deleted"):
        client.append_to_stream(stream, current_version=StreamState.ANY, events=event())


def test_tombstone_of_missing_stream(client: EventStoreDBClient, stream: str) -> None:
    with pytest.raises(NotFound):
        client.tombstone_stream(stream, current_version=StreamState.EXISTS)
    client.tombstone_stream(stream, current_version=StreamState.NO_STREAM)
    with pytest.raises(StreamIsDeleted):
        client.append_to_stream(stream, current_version=StreamState.NO_STREAM, events=[event()])


def test_metadata_round_trip_with_expected_version(client: EventStoreDBClient, stream: str) -> None:
    assert client.get_stream_metadata(stream) == ({}, StreamState.NO_STREAM)
    client.set_stream_metadata(stream, metadata={"owner": "orders"}, current_version=StreamState.NO_STREAM)
    assert client.get_stream_metadata(stream) == ({"owner": "orders"}, 0)
    with pytest.raises(WrongCurrentVersion):
        client.set_stream_metadata(stream, metadata={"owner": "other"}, current_version=5)
    client.set_stream_metadata(stream, metadata={"owner": "billing"}, current_version=0)
    assert client.get_stream_metadata(stream) == ({"owner": "billing"}, 1)
    # Only the latest metadata event is kept visible ($$ streams have $maxCount 1).
    assert [r.stream_position for r in client.get_stream(f"$${stream}")] == [1]


def test_max_count_keeps_the_latest_events(client: EventStoreDBClient, stream: str) -> None:
    client.append_to_stream(stream, current_version=StreamState.NO_STREAM, events=[event(f"E{i}") for i in range(5)])
    client.set_stream_metadata(stream, metadata={"$maxCount": 2})
    assert [r.type for r in client.get_stream(stream)] == ["E3", "E4"]
    assert [r.type for r in client.get_stream(stream, backwards=True)] == ["E4", "E3"]
    assert [r.type for r in client.get_stream(stream, stream_position=0, limit=1)] == ["E3"]
    client.append_to_stream(stream, current_version=4, events=event("E5"))
    assert [r.type for r in client.get_stream(stream)] == ["E4", "E5"]


def test_truncate_before(client: EventStoreDBClient, stream: str) -> None:
    client.append_to_stream(stream, current_version=StreamState.NO_STREAM, events=[event(f"E{i}") for i in range(4)])
    client.set_stream_metadata(stream, metadata={"$tb": 3})
    assert [r.type for r in client.get_stream(stream)] == ["E3"]
    client.set_stream_metadata(stream, metadata={"$tb": 10})
    # Truncated, but it exists: an empty read, not "not found" (so esdbclient's get_current_version
    # fails with IndexError here, as it does against EventStoreDB).
    assert client.get_stream(stream) == ()
    assert client.get_stream(stream, backwards=True, limit=1) == ()
    client.set_stream_metadata(stream, metadata={})
    assert len(client.get_stream(stream)) == 4
