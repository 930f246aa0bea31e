"""The fulfillment process manager against the real event store: reserve, confirm or reject, release, ship."""
from __future__ import annotations

import contextlib
import threading
from decimal import Decimal

import pytest

from orders.domain.commands import CancelOrder, PayOrder, ReceiveStock, ReserveStock, ShipOrder
from orders.domain.errors import InvalidTransitionError
from orders.domain.inventory import Inventory
from orders.domain.order import Order
from orders.domain.values import Actor, OrderStatus, UnavailableLine
from orders.fulfillment import FULFILLMENT_ACTOR, FulfillmentProcessManager
from orders.handlers import dispatch
from orders.repository import AggregateRepository

from .conftest import STAFF, events_of, inventory_streams, place, receive, run_process_manager

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def manager(app_store) -> FulfillmentProcessManager:
    return FulfillmentProcessManager(store=app_store)


def order(store, order_id) -> Order:
    return AggregateRepository(store).load(Order, order_id).aggregate


def stock(store, sku) -> Inventory:
    return AggregateRepository(store).load(Inventory, sku).aggregate


def created_event(store, order_id):
    [created] = store.read_stream(f"order-{order_id}", to_version=0)
    return created


def test_an_order_in_stock_is_reserved_and_confirmed(app_store, manager, skus):
    mug, tee, _ = skus
    receive(mug, 5)
    receive(tee, 5)
    order_id = place("c1", (mug, 2), (tee, 1))
    created = created_event(app_store, order_id)

    manager.handle(created, None)

    assert order(app_store, order_id).status is OrderStatus.CONFIRMED
    assert dict(stock(app_store, mug).reservations) == {order_id: 2}
    assert (stock(app_store, tee).reserved, stock(app_store, tee).available) == (1, 4)
    caused = [e for e in events_of(app_store, f"order-{order_id}", *inventory_streams(mug, tee))
              if e.event_type in ("StockReserved", "OrderConfirmed")]
    assert len(caused) == 3
    for event in caused:
        assert event.metadata.causation_id == created.event_id
        assert event.metadata.correlation_id == created.metadata.correlation_id
        assert event.metadata.actor == str(FULFILLMENT_ACTOR)


def test_short_stock_rejects_naming_the_lines_and_gives_back_what_was_reserved(app_store, manager, skus):
    mug, tee, pen = skus
    receive(mug, 5)
    receive(tee, 1)  # pen never arrived
    order_id = place("c1", (mug, 2), (tee, 3), (pen, 1))

    manager.handle(created_event(app_store, order_id), None)

    rejected = order(app_store, order_id)
    assert rejected.status is OrderStatus.REJECTED
    assert rejected.unavailable_lines == (UnavailableLine(tee, 3, 1), UnavailableLine(pen, 1, 0))
    assert tee in rejected.rejection_reason and pen in rejected.rejection_reason
    assert [e.event_type for e in events_of(app_store, *inventory_streams(mug))] == [
        "StockReceived", "StockReserved", "StockReleased"]
    assert (stock(app_store, mug).available, stock(app_store, tee).available) == (5, 1)


def test_handling_the_same_event_again_changes_nothing(app_store, manager, skus):
    mug, tee, _ = skus
    receive(mug, 5)
    receive(tee, 5)
    order_id = place("c1", (mug, 2), (tee, 1))
    created = created_event(app_store, order_id)
    manager.handle(created, None)
    versions = (order(app_store, order_id).version, stock(app_store, mug).version, stock(app_store, tee).version)

    manager.handle(created, None)

    assert (order(app_store, order_id).version, stock(app_store, mug).version,
            stock(app_store, tee).version) == versions
    assert stock(app_store, mug).reserved == 2


def test_a_crash_after_some_reservations_resumes_without_reserving_twice(app_store, manager, skus):
    mug, tee, _ = skus
    receive(mug, 5)
    receive(tee, 5)
    order_id = place("c1", (mug, 2), (tee, 1))
    created = created_event(app_store, order_id)
    # The first run reserved the mugs with the manager's key, then died.
    manager._send(ReserveStock(sku=mug, order_id=order_id, quantity=2), created, step=f"reserve:{mug}")

    manager.handle(created, None)

    assert order(app_store, order_id).status is OrderStatus.CONFIRMED
    assert [e.event_type for e in events_of(app_store, *inventory_streams(mug))] == [
        "StockReceived", "StockReserved"]


def test_a_rejection_stands_when_the_event_is_handled_again_after_a_restock(app_store, manager, skus):
    mug, tee, _ = skus
    receive(mug, 5)
    order_id = place("c1", (mug, 2), (tee, 1))
    created = created_event(app_store, order_id)
    manager.handle(created, None)
    receive(tee, 10)

    run_process_manager(manager, app_store, order_id)  # OrderCreated again, then OrderRejected

    assert order(app_store, order_id).status is OrderStatus.REJECTED
    assert (stock(app_store, mug).reserved, stock(app_store, tee).reserved) == (0, 0)


def test_cancelling_releases_and_shipping_ships_the_reserved_stock(app_store, manager, skus):
    mug, tee, _ = skus
    receive(mug, 5)
    receive(tee, 5)
    cancelled = place("c1", (mug, 2), (tee, 1))
    shipped = place("c2", (mug, 3))
    position = run_process_manager(manager, app_store, cancelled, shipped)
    assert stock(app_store, mug).available == 0

    dispatch(CancelOrder(order_id=cancelled, reason="changed my mind"), actor=Actor.customer("c1"))
    dispatch(PayOrder(order_id=shipped, amount=Decimal("37.50"), payment_reference="p"), actor=Actor.customer("c2"))
    dispatch(ShipOrder(order_id=shipped, carrier="UPS", tracking_number="1Z"), actor=STAFF)
    run_process_manager(manager, app_store, cancelled, shipped, after=position)

    mugs, tees = stock(app_store, mug), stock(app_store, tee)
    assert (mugs.on_hand, mugs.reserved, mugs.available) == (2, 0, 2)
    assert (tees.on_hand, tees.reserved) == (5, 0)
    assert [e.event_type for e in events_of(app_store, *inventory_streams(mug))][-2:] == [
        "StockReleased", "StockShipped"]


def test_an_order_cancelled_before_fulfillment_reserves_nothing(app_store, manager, skus):
    mug = skus[0]
    receive(mug, 5)
    order_id = place("c1", (mug, 2))
    dispatch(CancelOrder(order_id=order_id, reason="oops"), actor=Actor.customer("c1"))

    run_process_manager(manager, app_store, order_id)

    assert order(app_store, order_id).status is OrderStatus.CANCELLED
    assert [e.event_type for e in events_of(app_store, *inventory_streams(mug))] == ["StockReceived"]


def test_orders_racing_for_the_last_units_never_oversell(app_store, manager, skus):
    mug = skus[0]
    receive(mug, 5)
    order_ids = [place(f"c{n}", (mug, 2)) for n in range(4)]
    # A customer cancels one order while the manager works; a second manager instance works in
    # parallel (a lost lock must still not oversell).
    other = FulfillmentProcessManager(store=app_store)
    workers = [threading.Thread(target=run_process_manager, args=(m, app_store, *order_ids))
               for m in (manager, other)]
    for worker in workers:
        worker.start()
    with contextlib.suppress(InvalidTransitionError):  # it may already be rejected: then it stays so
        dispatch(CancelOrder(order_id=order_ids[0], reason="race"), actor=Actor.customer("c0"))
    for worker in workers:
        worker.join()
    run_process_manager(manager, app_store, *order_ids)  # caught up

    statuses = [order(app_store, order_id).status for order_id in order_ids]
    mugs = stock(app_store, mug)
    assert OrderStatus.PENDING not in statuses
    assert mugs.available >= 0 and mugs.reserved <= mugs.on_hand == 5
    holding = {o for o, s in zip(order_ids, statuses, strict=True) if s is OrderStatus.CONFIRMED}
    assert set(mugs.reservations) == holding
    assert statuses[0] in (OrderStatus.CANCELLED, OrderStatus.REJECTED)
    assert statuses.count(OrderStatus.CONFIRMED) <= 2


def test_more_stock_lets_a_later_order_through(app_store, manager, skus):
    mug = skus[0]
    first = place("c1", (mug, 2))
    run_process_manager(manager, app_store, first)
    dispatch(ReceiveStock(sku=mug, quantity=2), actor=STAFF)
    second = place("c1", (mug, 2))
    run_process_manager(manager, app_store, second)

    assert order(app_store, first).status is OrderStatus.REJECTED
    assert order(app_store, second).status is OrderStatus.CONFIRMED


def test_a_batch_decided_concurrently_is_first_come_first_served_and_reserves_each_order_once(app_store, manager, skus):
    mug, tee = skus[0], skus[1]
    receive(mug, 7)
    receive(tee, 100)
    order_ids = [place(f"c{n}", (mug, 1), (tee, 1)) for n in range(12)]
    batch = [created_event(app_store, order_id) for order_id in order_ids]

    manager.prepare_batch(batch)  # the head start the runner gives a batch
    run_process_manager(manager, app_store, *order_ids)  # then every event in order, as the runner does

    statuses = [order(app_store, order_id).status for order_id in order_ids]
    # First come, first served: the seven orders placed first get the seven mugs.
    assert statuses == [OrderStatus.CONFIRMED] * 7 + [OrderStatus.REJECTED] * 5
    mugs, tees = stock(app_store, mug), stock(app_store, tee)
    assert (mugs.reserved, mugs.available) == (7, 0) and tees.reserved == 7
    for order_id in order_ids:
        decisions = [e for e in events_of(app_store, f"order-{order_id}")
                     if e.event_type in ("OrderConfirmed", "OrderRejected")]
        assert len(decisions) == 1
    reserved_events = [e for e in events_of(app_store, f"inventory-{mug}") if e.event_type == "StockReserved"]
    assert len(reserved_events) == len({e.data.order_id for e in reserved_events})


def test_two_managers_preparing_the_same_batch_at_once_reserve_each_order_once_first_come_first_served(
        app_store, manager, skus):
    mug, tee = skus[0], skus[1]
    receive(mug, 5)
    receive(tee, 100)
    order_ids = [place(f"c{n}", (mug, 1), (tee, 1)) for n in range(8)]
    batch = [created_event(app_store, order_id) for order_id in order_ids]
    # A worker whose lease ran out still preparing the batch its successor prepares: one append per sku
    # wins, the other meets the changed stream, reloads and finds every reservation already held.
    workers = [threading.Thread(target=m.prepare_batch, args=(batch,))
               for m in (manager, FulfillmentProcessManager(store=app_store))]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    run_process_manager(manager, app_store, *order_ids)

    statuses = [order(app_store, order_id).status for order_id in order_ids]
    assert statuses == [OrderStatus.CONFIRMED] * 5 + [OrderStatus.REJECTED] * 3
    mugs = stock(app_store, mug)
    assert (mugs.on_hand, mugs.reserved, set(mugs.reservations)) == (5, 5, set(order_ids[:5]))
    assert stock(app_store, tee).reserved == 5  # the rejected orders' tea went back
    caused_by = {created.data.order_id: created.event_id for created in batch}
    reserved = [e for e in events_of(app_store, f"inventory-{mug}") if e.event_type == "StockReserved"]
    assert len(reserved) == 5
    for event in reserved:  # each reservation names its own order's creation, although appended together
        assert event.metadata.causation_id == caused_by[event.data.order_id]
    for order_id in order_ids:
        assert len([e for e in events_of(app_store, f"order-{order_id}")
                    if e.event_type in ("OrderConfirmed", "OrderRejected")]) == 1
