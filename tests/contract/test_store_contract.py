"""Event store contract, through the application's store module.

Runs against the embedded server on every `make test` (against a real EventStoreDB / KurrentDB
instead when ESDB_TEST_URL is set) and against the in-memory double the unit tests use
(tests/contract/conftest.py): the behaviour the application relies on must match.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from uuid import UUID, uuid4

import pytest

from eventlog.envelope import NO_STREAM, EventMetadata, NewEvent, UnknownEvent
from eventlog.errors import (
    ConcurrencyError,
    EventDecodeError,
    EventStoreUnavailableError,
    StreamDeletedError,
    StreamNotFoundError,
)
from eventlog.registry import EventRegistry
from eventlog.store import EventStore


@dataclass(frozen=True, slots=True)
class PriceSet:
    sku: str
    price: Decimal
    at: datetime
    ref: UUID


@dataclass(frozen=True, slots=True)
class Renamed:
    """Schema v2 of a test event: v1 had a single 'name' field, v2 splits it."""

    first: str
    last: str


@pytest.fixture(scope="module")
def registry() -> EventRegistry:
    registry = EventRegistry()
    registry.register(PriceSet)
    registry.register(Renamed, schema_version=2)

    @registry.upcaster("Renamed", from_version=1)
    def split_name(payload: dict) -> dict:
        first, _, last = payload.pop("name").partition(" ")
        return {**payload, "first": first, "last": last}

    return registry


META = EventMetadata(correlation_id=uuid4(), causation_id=None, actor="staff:1")


def price_event(store: EventStore, price: str = "9.99", *, event_id: UUID | None = None) -> NewEvent:
    at = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    payload = PriceSet(sku="SKU-1", price=Decimal(price), at=at, ref=uuid4())
    event_type, data = store.registry.encode(payload)
    return NewEvent(event_id=event_id or uuid4(), event_type=event_type.name,
                    schema_version=event_type.schema_version, data=data, metadata=META)


def raw_event(event_type: str, data: bytes, *, schema_version: int = 1) -> NewEvent:
    return NewEvent(event_id=uuid4(), event_type=event_type, schema_version=schema_version, data=data,
                    metadata=META)


def test_appended_events_read_back_in_order_with_their_envelope(store, unique):
    stream = f"contract-{unique}"
    events = [price_event(store, p) for p in ("1.10", "2.20", "3.30")]
    result = store.append(stream, events, expected_version=NO_STREAM)
    assert result.new_version == 2

    recorded = store.read_stream(stream)

    assert [e.stream_position for e in recorded] == [0, 1, 2]
    assert [e.event_id for e in recorded] == [e.event_id for e in events]
    assert [e.data.price for e in recorded] == [Decimal("1.10"), Decimal("2.20"), Decimal("3.30")]
    assert recorded[-1].commit_position == result.commit_position
    first = recorded[0]
    assert (first.event_type, first.schema_version, first.stream_name, first.aggregate_id) == (
        "PriceSet", 1, stream, unique)
    assert first.metadata == META
    assert first.recorded_at.tzinfo is not None


def test_decimal_uuid_and_datetime_round_trip_exactly(store, unique):
    event = price_event(store, "12345678901234567890.0100")
    store.append(f"contract-{unique}", [event], expected_version=NO_STREAM)

    [recorded] = store.read_stream(f"contract-{unique}")

    original = store.registry.decode(event.data, event_type="PriceSet", schema_version=1,
                                     stream_name="x", stream_position=0)
    assert recorded.data == original
    assert str(recorded.data.price) == "12345678901234567890.0100"
    assert recorded.data.at == datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)


def test_wrong_expected_version_reports_expected_and_actual(store, unique):
    stream = f"contract-{unique}"
    store.append(stream, [price_event(store), price_event(store)], expected_version=NO_STREAM)

    with pytest.raises(ConcurrencyError) as stale:
        store.append(stream, [price_event(store)], expected_version=0)
    with pytest.raises(ConcurrencyError) as exists:
        store.append(stream, [price_event(store)], expected_version=NO_STREAM)

    assert (stale.value.expected, stale.value.actual) == (0, 1)
    assert (exists.value.expected, exists.value.actual) == (None, 1)
    assert "is at version 1, not 0" in str(stale.value)
    assert len(store.read_stream(stream)) == 2


def test_an_expected_version_below_no_stream_is_refused_before_anything_is_written(store, unique):
    stream = f"contract-{unique}"
    with pytest.raises(ValueError, match="expected_version must be NO_STREAM"):
        store.append(stream, [price_event(store)], expected_version=NO_STREAM - 1)
    with pytest.raises(StreamNotFoundError):
        store.read_stream(stream)


def test_expecting_a_version_of_a_missing_stream_is_a_conflict(store, unique):
    with pytest.raises(ConcurrencyError) as missing:
        store.append(f"contract-{unique}", [price_event(store)], expected_version=3)
    assert missing.value.actual is None


def test_re_appending_the_same_event_ids_is_an_idempotent_success(store, unique):
    stream = f"contract-{unique}"
    events = [price_event(store), price_event(store)]
    first = store.append(stream, events, expected_version=NO_STREAM)

    again = store.append(stream, events, expected_version=NO_STREAM)

    assert again.commit_position == first.commit_position
    assert len(store.read_stream(stream)) == 2


def test_read_stream_windows_and_backwards(store, unique):
    stream = f"contract-{unique}"
    store.append(stream, [price_event(store, str(i)) for i in range(6)], expected_version=NO_STREAM)

    assert [e.stream_position for e in store.read_stream(stream, to_version=2)] == [0, 1, 2]
    assert [e.stream_position for e in store.read_stream(stream, from_version=3)] == [3, 4, 5]
    assert [e.stream_position for e in store.read_stream(stream, from_version=1, limit=2)] == [1, 2]
    assert [e.stream_position for e in store.read_stream(stream, backwards=True, limit=2)] == [5, 4]
    assert [e.stream_position for e in store.read_stream(stream, backwards=True, to_version=1)] == [1, 0]
    assert store.stream_version(stream) == 5


def test_missing_stream_is_not_found(store, unique):
    with pytest.raises(StreamNotFoundError):
        store.read_stream(f"contract-{unique}")
    assert store.stream_version(f"contract-{unique}") is None


def test_read_all_after_a_position_with_server_side_filters(store, unique):
    wanted, other = f"ctr{unique}-a", f"oth{unique}-b"
    before = store.head_position()
    store.append(wanted, [price_event(store, "1")], expected_version=NO_STREAM)
    store.append(other, [price_event(store, "2")], expected_version=NO_STREAM)
    store.append(wanted, [price_event(store, "3")], expected_version=0)

    by_prefix = store.read_all(after=before, stream_prefixes=[f"ctr{unique}"])
    by_type = [e for e in store.read_all(after=before, event_types=["PriceSet"]) if unique in e.stream_name]

    assert [(e.stream_name, e.data.price) for e in by_prefix] == [(wanted, Decimal(1)), (wanted, Decimal(3))]
    assert [e.stream_name for e in by_type] == [wanted, other, wanted]
    positions = [e.commit_position for e in by_type]
    assert positions == sorted(positions) and len(set(positions)) == 3
    assert positions[0] > before
    # `after` is exclusive: reading after the first event yields only what followed it.
    assert [e.data.price for e in store.read_all(after=positions[0], stream_prefixes=[f"ctr{unique}"])] == [
        Decimal(3)]
    assert store.head_position() == positions[-1]


def test_filters_match_whole_names(store, unique):
    before = store.head_position()
    store.append(f"ctr{unique}-a", [price_event(store, "1")], expected_version=NO_STREAM)
    store.append(f"x-ctr{unique}-b", [price_event(store, "2")], expected_version=NO_STREAM)
    store.append(f"ctr{unique}-c", [raw_event("PriceSetLater", b"{}")], expected_version=NO_STREAM)

    by_prefix = store.read_all(after=before, stream_prefixes=[f"ctr{unique}"], decode=False)
    by_type = store.read_all(after=before, event_types=["PriceSet"], decode=False)

    # A prefix matches only at the start of a stream name; an event type only exactly.
    assert [e.stream_name for e in by_prefix] == [f"ctr{unique}-a", f"ctr{unique}-c"]
    assert [e.stream_name for e in by_type] == [f"ctr{unique}-a", f"x-ctr{unique}-b"]


def test_read_all_leaves_out_system_events(store, unique):
    events = store.read_all(after=None, limit=10_000, decode=False)
    assert events and not any(e.event_type.startswith("$") for e in events)


def test_iter_all_reads_every_batch(store, unique):
    stream = f"itr{unique}-x"
    before = store.head_position()
    store.append(stream, [price_event(store, str(i)) for i in range(25)], expected_version=NO_STREAM)

    seen = list(store.iter_all(after=before, stream_prefixes=[f"itr{unique}"], batch_size=10))

    assert [e.stream_position for e in seen] == list(range(25))


def test_subscription_catches_up_then_delivers_live_events(store, unique):
    stream = f"sub{unique}-x"
    before = store.head_position()
    store.append(stream, [price_event(store, "1")], expected_version=NO_STREAM)
    received: list = []

    with store.subscribe_all(after=before, stream_prefixes=[f"sub{unique}"], timeout=10) as events:
        for event in events:
            received.append(event.data.price)
            if len(received) == 1:
                live = [price_event(store, "2")]
                appender = threading.Thread(target=store.append, args=(stream, live),
                                            kwargs={"expected_version": 0})
                appender.start()
            if len(received) == 2:
                break

    assert received == [Decimal(1), Decimal(2)]


def test_upcaster_reads_a_stored_v1_payload_as_v2(store, unique):
    stream = f"contract-{unique}"
    store.append(stream, [raw_event("Renamed", b'{"name": "Ada Lovelace"}', schema_version=1)],
                 expected_version=NO_STREAM)

    [recorded] = store.read_stream(stream)

    assert recorded.data == Renamed(first="Ada", last="Lovelace")
    assert recorded.schema_version == 1


@pytest.mark.parametrize(("event_type", "data", "schema_version", "reason"), [
    ("NoSuchEvent", b"{}", 1, "unknown event type"),
    ("PriceSet", b"{not json", 1, "malformed JSON"),
    ("PriceSet", b"[1, 2]", 1, "not a JSON object"),
    ("PriceSet", b'{"sku": "A"}', 1, "does not match PriceSet"),
    ("Renamed", b'{"first": "a", "last": "b"}', 7, "unknown schema version 7"),
])
def test_undecodable_events_name_stream_position_and_type(store, unique, event_type, data, schema_version,
                                                          reason):
    stream = f"contract-{unique}"
    store.append(stream, [price_event(store), raw_event(event_type, data, schema_version=schema_version)],
                 expected_version=NO_STREAM)

    with pytest.raises(EventDecodeError) as error:
        store.read_stream(stream)

    assert (error.value.stream_name, error.value.stream_position, error.value.event_type) == (
        stream, 1, event_type)
    assert reason in str(error.value) and stream in str(error.value)
    assert len(store.read_stream(stream, decode=False)) == 2


def test_an_unknown_type_can_be_read_past_where_the_reader_asks(store, unique):
    stream = f"contract-{unique}"
    store.append(stream, [price_event(store), raw_event("FromTheFuture", b'{"x": 1}', schema_version=3),
                          price_event(store)], expected_version=NO_STREAM)

    first, unknown, last = store.read_stream(stream, keep_unknown=True)

    assert unknown.data == UnknownEvent("FromTheFuture", 3, {"x": 1})
    assert (first.stream_position, unknown.stream_position, last.stream_position) == (0, 1, 2)
    assert isinstance(last.data, PriceSet)
    with pytest.raises(EventDecodeError):  # readers that do not ask still stop there
        store.read_stream(stream)


def test_tombstoned_stream_is_deleted_for_ever(store, unique):
    stream = f"contract-{unique}"
    store.append(stream, [price_event(store)], expected_version=NO_STREAM)
    store.tombstone(stream)

    with pytest.raises(StreamDeletedError):
        store.read_stream(stream)
    with pytest.raises(StreamDeletedError):
        store.append(stream, [price_event(store)], expected_version=0)


def test_max_count_keeps_only_the_newest_events(store, unique):
    stream = f"snapshot-{unique}"
    store.set_max_count(stream, 2)
    for price in ("1", "2", "3"):
        store.append_unversioned(stream, [price_event(store, price)])

    assert [e.data.price for e in store.read_stream(stream)] == [Decimal(2), Decimal(3)]


def test_unreachable_store_is_unavailable(free_port_url):
    store = EventStore(free_port_url)
    with pytest.raises(EventStoreUnavailableError):
        store.head_position()


@pytest.fixture
def free_port_url() -> str:
    from config.devstack.local_services import free_port

    return f"esdb://127.0.0.1:{free_port()}?Tls=false"
