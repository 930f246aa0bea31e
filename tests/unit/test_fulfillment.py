"""The fulfillment process manager's decisions over the in-memory event store (given events, when one
is handled, then the commands' events), no servers."""
from __future__ import annotations

from decimal import Decimal
from uuid import UUID, uuid4

import pytest

from eventlog.envelope import EventMetadata
from orders.domain.commands import (
    CancelOrder,
    ConfirmOrder,
    PayOrder,
    ReceiveStock,
    ReserveStock,
    ShipOrder,
)
from orders.domain.inventory import Inventory
from orders.domain.order import Order
from orders.domain.values import OrderStatus, UnavailableLine
from orders.fulfillment import FULFILLMENT_ACTOR, FulfillmentProcessManager
from orders.handlers import dispatch
from orders.idempotency import first_event_id
from orders.repository import AggregateRepository
from tests.factories import place
from tests.unit.builders import CUSTOMER, CUSTOMER_ID, ORDER_ID, OTHER_ORDER_ID, STAFF
from tests.unit.conftest import catalogue

# The standard test order's lines (as tests.unit.builders.create_order places them).
STANDARD_LINES = (("MUG-1", 2), ("TEA-2", 1))


@pytest.fixture
def manager(store) -> FulfillmentProcessManager:
    return FulfillmentProcessManager(store=store)


def send(store, command, *, actor=STAFF):
    return dispatch(command, actor=actor, store=store, catalogue=catalogue)


def placed(store, order_id: UUID = ORDER_ID, *lines: tuple[str, int]):
    """Place an order as the test customer (2 mugs, 1 tea unless `lines`); returns its recorded creation."""
    place(CUSTOMER_ID, *(lines or STANDARD_LINES), order_id=order_id, store=store, catalogue=catalogue)
    return store.read_stream(f"order-{order_id}")[-1]


def types(store, stream: str) -> list[str]:
    return [event.event_type for event in store.read_stream(stream)]


def order(store, order_id: UUID = ORDER_ID) -> Order:
    return AggregateRepository(store).load(Order, order_id, use_cache=False).aggregate


def stock(store, sku: str) -> Inventory:
    return AggregateRepository(store).load(Inventory, sku, use_cache=False).aggregate


def test_an_order_in_stock_is_reserved_then_confirmed_as_caused_by_its_creation(store, manager):
    send(store, ReceiveStock(sku="MUG-1", quantity=5))
    send(store, ReceiveStock(sku="TEA-2", quantity=5))
    created = placed(store)

    manager.handle(created)

    assert types(store, f"order-{ORDER_ID}") == ["OrderCreated", "OrderConfirmed"]
    assert types(store, "inventory-MUG-1") == ["StockReceived", "StockReserved"]
    assert (stock(store, "MUG-1").available, stock(store, "TEA-2").available) == (3, 4)
    caused = [*store.read_stream(f"order-{ORDER_ID}", from_version=1), *store.read_stream("inventory-MUG-1",
                                                                                           from_version=1)]
    for event in caused:
        assert event.metadata.causation_id == created.event_id
        assert event.metadata.correlation_id == created.metadata.correlation_id
        assert event.metadata.actor == str(FULFILLMENT_ACTOR)


def test_short_stock_rejects_naming_every_short_line_and_gives_back_what_it_held(store, manager):
    send(store, ReceiveStock(sku="MUG-1", quantity=5))  # no tea at all
    manager.handle(placed(store))

    rejected = order(store)
    assert rejected.status is OrderStatus.REJECTED
    assert rejected.unavailable_lines == (UnavailableLine("TEA-2", 1, 0),)
    assert types(store, "inventory-MUG-1") == ["StockReceived", "StockReserved", "StockReleased"]
    assert stock(store, "MUG-1").available == 5


def test_handling_the_same_event_again_appends_nothing(store, manager):
    send(store, ReceiveStock(sku="MUG-1", quantity=5))
    send(store, ReceiveStock(sku="TEA-2", quantity=5))
    created = placed(store)
    manager.handle(created)
    head = store.head_position()

    manager.handle(created)

    assert store.head_position() == head


def test_a_cancelled_order_gives_its_stock_back(store, manager):
    send(store, ReceiveStock(sku="MUG-1", quantity=5))
    send(store, ReceiveStock(sku="TEA-2", quantity=5))
    manager.handle(placed(store))
    send(store, CancelOrder(order_id=ORDER_ID, reason="changed my mind"), actor=CUSTOMER)

    manager.handle(store.read_stream(f"order-{ORDER_ID}")[-1])

    assert (stock(store, "MUG-1").available, stock(store, "TEA-2").available) == (5, 5)
    assert types(store, "inventory-TEA-2")[-1] == "StockReleased"


def test_a_shipped_order_takes_its_reserved_stock_out_of_the_warehouse(store, manager):
    send(store, ReceiveStock(sku="MUG-1", quantity=5))
    send(store, ReceiveStock(sku="TEA-2", quantity=5))
    manager.handle(placed(store))
    send(store, PayOrder(order_id=ORDER_ID, amount=Decimal("18.25"), payment_reference="p"), actor=CUSTOMER)
    send(store, ShipOrder(order_id=ORDER_ID, carrier="DHL", tracking_number="T-1"))

    manager.handle(store.read_stream(f"order-{ORDER_ID}")[-1])

    mugs = stock(store, "MUG-1")
    assert (mugs.on_hand, mugs.reserved) == (3, 0)


def test_an_order_decided_meanwhile_is_left_alone(store, manager):
    send(store, ReceiveStock(sku="MUG-1", quantity=5))
    send(store, ReceiveStock(sku="TEA-2", quantity=5))
    created = placed(store)
    send(store, ConfirmOrder(order_id=ORDER_ID))  # staff decided first

    manager.handle(created)

    assert types(store, "inventory-MUG-1") == ["StockReceived"]


def test_a_batch_is_first_come_first_served_for_shared_stock(store, manager):
    send(store, ReceiveStock(sku="MUG-1", quantity=2))
    first = placed(store, ORDER_ID, ("MUG-1", 2))
    second = placed(store, OTHER_ORDER_ID, ("MUG-1", 1))

    manager.prepare_batch([first, second])
    for event in (first, second):
        manager.handle(event)

    assert order(store, ORDER_ID).status is OrderStatus.CONFIRMED
    assert order(store, OTHER_ORDER_ID).status is OrderStatus.REJECTED


def test_a_later_order_reserves_only_after_an_earlier_rejected_one_gave_its_stock_back(store, manager):
    send(store, ReceiveStock(sku="MUG-1", quantity=2))  # no tea: the first order is rejected
    first = placed(store, ORDER_ID, ("MUG-1", 2), ("TEA-2", 1))
    second = placed(store, OTHER_ORDER_ID, ("MUG-1", 2))

    manager.prepare_batch([first, second])
    for event in (first, second):
        manager.handle(event)

    assert order(store, ORDER_ID).status is OrderStatus.REJECTED
    assert order(store, OTHER_ORDER_ID).status is OrderStatus.CONFIRMED  # it had the mugs the first gave back
    assert stock(store, "MUG-1").available == 0


def test_handle_does_not_load_again_the_orders_its_batch_decided(store, manager, monkeypatch):
    send(store, ReceiveStock(sku="MUG-1", quantity=5))
    first = placed(store, ORDER_ID, ("MUG-1", 1))
    second = placed(store, OTHER_ORDER_ID, ("MUG-1", 1))
    manager.prepare_batch([first, second])
    reads = []
    read_stream = store.read_stream
    monkeypatch.setattr(store, "read_stream", lambda stream, **kwargs: reads.append(stream) or read_stream(
        stream, **kwargs))

    for event in (first, second):
        manager.handle(event)

    assert reads == []
    assert order(store, ORDER_ID).status is order(store, OTHER_ORDER_ID).status is OrderStatus.CONFIRMED


# -- one reservation append per sku for a batch's new orders -------------------------------------------------

THIRD_ORDER_ID = UUID("3f2a6c1e-0000-4000-8000-000000000003")
RIVAL_ORDER_ID = UUID("3f2a6c1e-0000-4000-8000-000000000009")


def decide_batch(manager, events) -> None:
    """What the runner does with a batch: prepare it, then handle its events in order."""
    manager.prepare_batch(events)
    for event in events:
        manager.handle(event)


def appends_to(store, monkeypatch, stream: str) -> list[int]:
    """Record the number of events of each append to `stream` from now on."""
    counts: list[int] = []
    append = store.append

    def counting(stream_name, events, **kwargs):
        if stream_name == stream:
            counts.append(len(events))
        return append(stream_name, events, **kwargs)

    monkeypatch.setattr(store, "append", counting)
    return counts


def test_a_batch_reserves_one_sku_for_all_its_orders_in_one_append_with_each_orders_own_event_id(
        store, manager, monkeypatch):
    send(store, ReceiveStock(sku="MUG-1", quantity=10))
    send(store, ReceiveStock(sku="TEA-2", quantity=10))
    batch = [placed(store, ORDER_ID, ("MUG-1", 2), ("TEA-2", 1)), placed(store, OTHER_ORDER_ID, ("MUG-1", 3)),
             placed(store, THIRD_ORDER_ID, ("MUG-1", 1))]
    mug_appends = appends_to(store, monkeypatch, "inventory-MUG-1")

    decide_batch(manager, batch)

    assert mug_appends == [3]
    assert all(order(store, event.data.order_id).status is OrderStatus.CONFIRMED for event in batch)
    assert (stock(store, "MUG-1").available, stock(store, "TEA-2").available) == (4, 9)
    reserved = {event.data.order_id: event for event in store.read_stream("inventory-MUG-1")[1:]}
    for created in batch:
        event = reserved[created.data.order_id]
        # The id the order's own ReserveStock would have had: a replay by either path is recognised.
        assert event.event_id == first_event_id(actor=FULFILLMENT_ACTOR, key=f"{created.event_id}:reserve:MUG-1")
        assert event.metadata.causation_id == created.event_id
        assert event.metadata.correlation_id == created.metadata.correlation_id
        assert event.metadata.actor == str(FULFILLMENT_ACTOR)


def test_in_a_batch_an_order_that_does_not_fit_is_rejected_and_takes_nothing_from_later_ones(store, manager):
    send(store, ReceiveStock(sku="MUG-1", quantity=3))
    send(store, ReceiveStock(sku="TEA-2", quantity=5))
    # First come, first served: the first takes 2 mugs, the second (2 more) does not fit, the third (1) does.
    batch = [placed(store, ORDER_ID, ("MUG-1", 2)), placed(store, OTHER_ORDER_ID, ("MUG-1", 2), ("TEA-2", 1)),
             placed(store, THIRD_ORDER_ID, ("MUG-1", 1))]

    decide_batch(manager, batch)

    assert [order(store, event.data.order_id).status for event in batch] == [
        OrderStatus.CONFIRMED, OrderStatus.REJECTED, OrderStatus.CONFIRMED]
    assert order(store, OTHER_ORDER_ID).unavailable_lines == (UnavailableLine("MUG-1", 2, 0),)
    assert (stock(store, "MUG-1").available, stock(store, "TEA-2").available) == (0, 5)  # its tea went back
    assert set(stock(store, "MUG-1").reservations) == {ORDER_ID, THIRD_ORDER_ID}


def test_a_batch_processed_again_appends_nothing(store, manager):
    send(store, ReceiveStock(sku="MUG-1", quantity=3))
    batch = [placed(store, ORDER_ID, ("MUG-1", 2)), placed(store, OTHER_ORDER_ID, ("MUG-1", 2)),
             placed(store, THIRD_ORDER_ID, ("MUG-1", 1))]
    decide_batch(manager, batch)
    head = store.head_position()

    decide_batch(FulfillmentProcessManager(store=store), batch)  # e.g. after a crash before the checkpoint

    assert store.head_position() == head


def test_a_batch_that_crashed_between_reserving_and_confirming_reserves_nothing_twice(store, manager, monkeypatch):
    send(store, ReceiveStock(sku="MUG-1", quantity=5))
    batch = [placed(store, ORDER_ID, ("MUG-1", 2)), placed(store, OTHER_ORDER_ID, ("MUG-1", 2))]
    monkeypatch.setattr(manager, "_confirm_together", lambda held: None)
    manager.prepare_batch(batch)  # the process dies here: stock held, nothing confirmed, checkpoint not moved
    assert order(store, ORDER_ID).status is OrderStatus.PENDING
    mug_appends = appends_to(store, monkeypatch, "inventory-MUG-1")

    decide_batch(FulfillmentProcessManager(store=store), batch)

    assert mug_appends == []
    assert types(store, "inventory-MUG-1") == ["StockReceived", "StockReserved", "StockReserved"]
    assert order(store, ORDER_ID).status is order(store, OTHER_ORDER_ID).status is OrderStatus.CONFIRMED


def test_a_rival_reservation_landing_first_makes_the_batch_decide_again_and_never_oversell(
        store, manager, monkeypatch):
    send(store, ReceiveStock(sku="MUG-1", quantity=3))
    batch = [placed(store, ORDER_ID, ("MUG-1", 1)), placed(store, OTHER_ORDER_ID, ("MUG-1", 2))]
    append, rivals = store.append, []

    def rival_gets_in_first(stream_name, events, **kwargs):
        if stream_name == "inventory-MUG-1" and not rivals:  # another writer, between our load and our append
            rivals.append(stream_name)
            repository = AggregateRepository(store)
            mugs = repository.load(Inventory, "MUG-1", use_cache=False).aggregate
            mugs.reserve(ReserveStock(sku="MUG-1", order_id=RIVAL_ORDER_ID, quantity=1), actor=FULFILLMENT_ACTOR)
            repository.append(mugs, event_ids=[uuid4()],
                              metadata=EventMetadata(correlation_id=uuid4(), causation_id=None, actor="system:rival"),
                              expected_version=mugs.expected_version)
        return append(stream_name, events, **kwargs)

    monkeypatch.setattr(store, "append", rival_gets_in_first)

    decide_batch(manager, batch)

    assert rivals  # the batch's first append met a changed stream
    assert order(store, ORDER_ID).status is OrderStatus.CONFIRMED
    assert order(store, OTHER_ORDER_ID).status is OrderStatus.REJECTED  # 2 mugs no longer there after the rival's
    mugs = stock(store, "MUG-1")
    assert (mugs.on_hand, mugs.reserved, set(mugs.reservations)) == (3, 2, {RIVAL_ORDER_ID, ORDER_ID})
