"""The store's long-lived append call per thread: a broken call loses nothing, a finished thread leaks nothing."""
from __future__ import annotations

import threading
import time
from uuid import uuid4

import pytest

from eventlog.envelope import NO_STREAM, EventMetadata, NewEvent
from eventlog.errors import ConcurrencyError
from eventlog.store import EventStore

METADATA = EventMetadata(correlation_id=uuid4(), causation_id=None, actor="system:test")


def new_event() -> NewEvent:
    return NewEvent(event_id=uuid4(), event_type="Pinged", schema_version=1, data=b"{}", metadata=METADATA)


@pytest.fixture
def store(eventstore_url: str):
    store = EventStore(eventstore_url)
    yield store
    store.close()


def test_appends_share_one_call_and_a_refusal_keeps_it_open(store: EventStore) -> None:
    stream = f"pinged-{uuid4()}"
    store.append(stream, [new_event()], expected_version=NO_STREAM)
    call = store._local.append_call
    with pytest.raises(ConcurrencyError) as refused:
        store.append(stream, [new_event()], expected_version=NO_STREAM)
    assert refused.value.actual == 0
    result = store.append(stream, [new_event(), new_event()], expected_version=0)
    assert result.new_version == 2
    assert store._local.append_call is call
    assert [e.stream_position for e in store.read_stream(stream, decode=False)] == [0, 1, 2]


def test_a_call_broken_under_an_append_resends_it_once(store: EventStore) -> None:
    stream = f"pinged-{uuid4()}"
    store.append(stream, [new_event()], expected_version=NO_STREAM)
    broken = store._local.append_call
    broken._replies.cancel()  # what a dropped connection does to the call in flight
    event = new_event()
    result = store.append(stream, [event], expected_version=0)
    assert result.new_version == 1
    assert [e.event_id for e in store.read_stream(stream, decode=False)][1:] == [event.event_id]
    store.append(stream, [new_event()], expected_version=1)  # a fresh call took over
    assert store._local.append_call is not broken


def test_a_finished_thread_leaves_no_thread_behind(store: EventStore) -> None:
    def append_once() -> None:
        store.append(f"pinged-{uuid4()}", [new_event()], expected_version=NO_STREAM)

    append_once()  # this thread's client and call exist before counting
    before = threading.active_count()
    for _ in range(5):
        worker = threading.Thread(target=append_once)
        worker.start()
        worker.join()
    deadline = time.monotonic() + 5
    while threading.active_count() > before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert threading.active_count() <= before
