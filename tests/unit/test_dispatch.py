"""`dispatch` over the in-memory event store: load, decide, append, idempotency, versions, snapshots."""
from __future__ import annotations

from decimal import Decimal

import pytest

from eventlog import hooks
from eventlog.errors import ConcurrencyError
from orders.domain.commands import AddOrderNote, ConfirmOrder, CreateOrder, PayOrder, ReceiveStock, RequestedLine
from orders.domain.errors import AlreadyExistsError, InvalidTransitionError, UnknownProductError
from orders.domain.events import OrderPaid, StockReceived
from orders.domain.inventory import Inventory
from orders.handlers import dispatch
from orders.idempotency import IdempotencyKeyReusedError
from orders.repository import SNAPSHOT_EVERY, AggregateRepository, snapshot_stream
from tests.unit.builders import CUSTOMER, ORDER_ID, STAFF, SYSTEM, TOTAL, create_order, created
from tests.unit.conftest import catalogue


def send(store, command, *, actor=CUSTOMER, **options):
    return dispatch(command, actor=actor, store=store, catalogue=catalogue, **options)


@pytest.fixture
def committed():
    """Results announced through `eventlog.hooks.appended`, as the read side would hear them."""
    results = []

    def listen(result):
        results.append(result)

    hooks.on_append(listen)
    yield results
    hooks.remove(listen)


def test_create_order_prices_from_the_catalogue_and_appends_one_event(store, committed):
    result = send(store, create_order())

    expected = created()
    assert result.events == (expected,)
    assert (result.stream_name, result.new_version) == (f"order-{ORDER_ID}", 0)
    [stored] = store.read_stream(f"order-{ORDER_ID}")
    assert stored.data == expected
    assert stored.event_id == result.event_ids[0]
    assert stored.commit_position == result.commit_position
    assert stored.metadata.actor == "customer:42"
    assert committed == [result]


def test_a_refused_command_appends_nothing_and_announces_nothing(store, committed):
    send(store, create_order())
    committed.clear()

    with pytest.raises(InvalidTransitionError):
        send(store, PayOrder(order_id=ORDER_ID, amount=TOTAL, payment_reference="p-1"))

    assert len(store.read_stream(f"order-{ORDER_ID}")) == 1
    assert committed == []


def test_an_unknown_sku_is_refused_before_anything_is_written(store):
    with pytest.raises(UnknownProductError):
        send(store, CreateOrder(ORDER_ID, "42", (RequestedLine("NOPE-9", 1),)))

    assert store.head_position() == 0


def test_the_same_idempotency_key_returns_the_first_result_and_appends_nothing(store, committed):
    first = send(store, create_order(), idempotency_key="k-1")
    again = send(store, create_order(), idempotency_key="k-1")

    assert again.replayed and not first.replayed
    assert (again.event_ids, again.commit_position, again.events) == (
        first.event_ids, first.commit_position, first.events)
    assert len(store.read_stream(f"order-{ORDER_ID}")) == 1
    assert committed == [first]
    with pytest.raises(IdempotencyKeyReusedError):
        send(store, create_order(customer_id="43"), idempotency_key="k-1")


def test_a_pinned_expected_version_that_moved_is_the_callers_conflict(store):
    send(store, create_order())
    send(store, AddOrderNote(order_id=ORDER_ID, text="fragile"), actor=STAFF)

    with pytest.raises(ConcurrencyError) as conflict:
        send(store, AddOrderNote(order_id=ORDER_ID, text="late"), actor=STAFF, expected_version=0)

    assert (conflict.value.expected, conflict.value.actual) == (0, 1)
    assert len(store.read_stream(f"order-{ORDER_ID}")) == 2


def test_a_new_order_whose_stream_exists_is_loaded_and_refused(store):
    send(store, create_order())

    with pytest.raises(AlreadyExistsError):
        send(store, create_order())


def test_long_streams_are_snapshotted_and_load_from_the_snapshot(store):
    for _ in range(SNAPSHOT_EVERY + 2):
        send(store, ReceiveStock(sku="MUG-1", quantity=1), actor=STAFF)

    [snapshot] = store.read_stream(snapshot_stream("inventory-MUG-1"), decode=False)
    assert snapshot.data["version"] == SNAPSHOT_EVERY
    loaded = AggregateRepository(store).load(Inventory, "MUG-1", use_cache=False)
    assert loaded.snapshot_version == SNAPSHOT_EVERY
    assert [e.stream_position for e in loaded.tail] == [SNAPSHOT_EVERY + 1]
    assert (loaded.aggregate.on_hand, loaded.aggregate.version) == (SNAPSHOT_EVERY + 2, SNAPSHOT_EVERY + 1)
    assert all(isinstance(e.data, StockReceived) for e in store.read_stream("inventory-MUG-1"))


def test_paying_records_the_amount(store):
    send(store, create_order())
    send(store, ConfirmOrder(order_id=ORDER_ID), actor=SYSTEM)
    result = send(store, PayOrder(order_id=ORDER_ID, amount=Decimal("18.25"), payment_reference="p-1"))

    assert result.events == (OrderPaid(ORDER_ID, Decimal("18.25"), "p-1"),)
    assert result.new_version == 2
