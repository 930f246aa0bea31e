"""Appending: expected versions, the reported actual version, idempotency, atomicity."""
from __future__ import annotations

import pytest
from esdbclient import EventStoreDBClient, StreamState
from esdbclient.exceptions import NotFound, WrongCurrentVersion

from tests.server.helpers import event


def ids(client: EventStoreDBClient, stream: str) -> list:
    return [recorded.id for recorded in client.get_stream(stream)]


@pytest.mark.parametrize("single", [True, False], ids=["Append", "BatchAppend"])
class TestExpectedVersion:
    """esdbclient uses Append for one NewEvent and BatchAppend for a sequence: both behave alike."""

    @staticmethod
    def append(client: EventStoreDBClient, stream: str, version: object, single: bool, *events: object) -> int:
        if not events:
            events = (event(),)
        payload = events[0] if single and len(events) == 1 else list(events)
        return client.append_to_stream(stream, current_version=version, events=payload)  # type: ignore[arg-type]

    def test_no_stream_creates_and_then_refuses(self, client, stream, single) -> None:
        self.append(client, stream, StreamState.NO_STREAM, single)
        with pytest.raises(WrongCurrentVersion, match="Stream position of last event is 0 not StreamState.NO_STREAM"):
            self.append(client, stream, StreamState.NO_STREAM, single)

    def test_exact_version_reports_the_actual_revision(self, client, stream, single) -> None:
        self.append(client, stream, StreamState.NO_STREAM, single, event(), event())
        with pytest.raises(WrongCurrentVersion, match="Stream position of last event is 1 not 0"):
            self.append(client, stream, 0, single)
        with pytest.raises(WrongCurrentVersion, match="Stream position of last event is 1 not 5"):
            self.append(client, stream, 5, single)
        self.append(client, stream, 1, single)
        assert client.get_current_version(stream) == 2

    def test_exact_version_on_missing_stream_says_it_does_not_exist(self, client, stream, single) -> None:
        with pytest.raises(WrongCurrentVersion, match="does not exist"):
            self.append(client, stream, 0, single)
        with pytest.raises(NotFound):
            client.get_stream(stream)

    def test_stream_exists(self, client, stream, single) -> None:
        with pytest.raises(WrongCurrentVersion, match="does not exist"):
            self.append(client, stream, StreamState.EXISTS, single)
        self.append(client, stream, StreamState.NO_STREAM, single)
        self.append(client, stream, StreamState.EXISTS, single)
        assert client.get_current_version(stream) == 1

    def test_any_always_appends(self, client, stream, single) -> None:
        first = self.append(client, stream, StreamState.ANY, single)
        second = self.append(client, stream, StreamState.ANY, single)
        assert second > first
        assert client.get_current_version(stream) == 1

    def test_idempotent_reappend_returns_original_position_and_writes_nothing(self, client, stream,
                                                                               single) -> None:
        first, second = event("First"), event("Second")
        position1 = self.append(client, stream, StreamState.NO_STREAM, single, first)
        position2 = self.append(client, stream, 0, single, second)
        assert self.append(client, stream, StreamState.NO_STREAM, single, first) == position1
        assert self.append(client, stream, 0, single, second) == position2
        assert self.append(client, stream, StreamState.ANY, single, second) == position2
        assert ids(client, stream) == [first.id, second.id]


def test_idempotent_batch_and_partial_match(client: EventStoreDBClient, stream: str) -> None:
    e1, e2, e3, e4 = event(), event(), event(), event()
    client.append_to_stream(stream, current_version=StreamState.NO_STREAM, events=[e1, e2, e3])
    position3 = client.get_stream(stream)[-1].commit_position
    assert client.append_to_stream(stream, current_version=0, events=[e2, e3]) == position3
    # A retry that only partly matches what was written is a conflict, and writes nothing.
    with pytest.raises(WrongCurrentVersion):
        client.append_to_stream(stream, current_version=0, events=[e2, e3, e4])
    with pytest.raises(WrongCurrentVersion):
        client.append_to_stream(stream, current_version=StreamState.ANY, events=[e2, e4])
    assert ids(client, stream) == [e1.id, e2.id, e3.id]


def test_positions_increase_and_revisions_are_gapless(client: EventStoreDBClient, stream: str) -> None:
    positions = [client.append_to_stream(stream, current_version=StreamState.ANY, events=[event(), event()])
                 for _ in range(3)]
    recorded = client.get_stream(stream)
    assert [r.stream_position for r in recorded] == list(range(6))
    commits = [r.commit_position for r in recorded]
    assert commits == sorted(set(commits))
    assert all(r.prepare_position == r.commit_position for r in recorded)
    # Each append returns the position of its last event.
    assert positions == [commits[1], commits[3], commits[5]]


def test_events_round_trip(client: EventStoreDBClient, stream: str) -> None:
    sent = event("Binary", data=b"\x00\xffraw", metadata=b'{"actor": "me"}', content_type="application/octet-stream")
    client.append_to_stream(stream, current_version=StreamState.NO_STREAM, events=sent)
    (got,) = client.get_stream(stream)
    assert (got.id, got.type, got.data, got.metadata, got.content_type, got.stream_name) == (
        sent.id, "Binary", b"\x00\xffraw", b'{"actor": "me"}', "application/octet-stream", stream)
    assert got.recorded_at is not None


def test_an_append_that_is_too_big_writes_nothing(client: EventStoreDBClient, stream: str) -> None:
    small = event()
    huge = event(data=b"x" * (1024 * 1024 + 1))
    with pytest.raises(Exception, match="Maximum Append Size"):
        client.append_to_stream(stream, current_version=StreamState.NO_STREAM, events=[small, huge])
    with pytest.raises(NotFound):
        client.get_stream(stream)
