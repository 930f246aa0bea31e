"""Property: after any sequence of commands, and once fulfillment has caught up, the read models say what
the aggregates (loaded through the repository) say, and no order is left PENDING."""
from __future__ import annotations

from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orders.domain.commands import AddOrderNote, CancelOrder, DeliverOrder, PayOrder, ShipOrder
from orders.domain.errors import DomainError
from orders.domain.inventory import Inventory
from orders.domain.order import Order
from orders.domain.values import Actor, OrderStatus
from orders.fulfillment import FulfillmentProcessManager
from orders.handlers import dispatch
from orders.repository import AggregateRepository
from projections import selectors
from projections.inventory import InventoryProjection
from projections.orders import OrderSummaryProjection

from .conftest import STAFF, events_of, inventory_streams, order_streams, place, project, receive, run_process_manager

pytestmark = pytest.mark.django_db(transaction=True)

ACTIONS = ("place", "fulfil", "pay", "ship", "deliver", "cancel", "note", "restock")
steps = st.lists(st.tuples(st.sampled_from(ACTIONS), st.integers(min_value=0, max_value=2)), min_size=1, max_size=12)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=steps)
def test_projected_orders_and_stock_match_the_aggregates(app_store, redis_client, skus, steps):
    redis_client.flushdb()
    mug, tee, pen = skus
    wanted = {0: ((mug, 2),), 1: ((mug, 1), (tee, 2)), 2: ((pen, 3),)}
    repository = AggregateRepository(app_store)
    manager = FulfillmentProcessManager(store=app_store)
    placed: dict[int, UUID] = {}
    handled = -1

    def load(order_id: UUID) -> Order:
        return repository.load(Order, order_id).aggregate

    for action, slot in steps:
        order_id = placed.get(slot)
        customer = Actor.customer(f"c{slot}")
        try:
            if action == "place" and order_id is None:
                placed[slot] = place(customer.id, *wanted[slot])
            elif action == "fulfil":
                handled = run_process_manager(manager, app_store, *placed.values(), after=handled)
            elif action == "restock":
                receive((mug, tee, pen)[slot], 2)
            elif order_id is not None and action == "pay":
                dispatch(PayOrder(order_id=order_id, amount=load(order_id).total, payment_reference="p"),
                         actor=customer)
            elif order_id is not None and action == "ship":
                dispatch(ShipOrder(order_id=order_id, carrier="DHL", tracking_number="1"), actor=STAFF)
            elif order_id is not None and action == "deliver":
                dispatch(DeliverOrder(order_id=order_id), actor=STAFF)
            elif order_id is not None and action == "cancel":
                dispatch(CancelOrder(order_id=order_id, reason="why not"), actor=customer)
            elif order_id is not None and action == "note":
                dispatch(AddOrderNote(order_id=order_id, text="hm"), actor=STAFF)
        except DomainError:
            pass  # a refusal is a legitimate outcome of a random sequence
    run_process_manager(manager, app_store, *placed.values(), after=handled)

    project(redis_client, OrderSummaryProjection(), events_of(app_store, *order_streams(*placed.values())))
    project(redis_client, InventoryProjection(), events_of(app_store, *inventory_streams(mug, tee, pen)))

    for order_id in placed.values():
        order, summary = load(order_id), selectors.get_order(order_id, client=redis_client)
        assert order.status is not OrderStatus.PENDING
        assert (summary.status, summary.total, summary.version) == (order.status, order.total, order.version)
        assert (summary.note_count, summary.refund_amount) == (len(order.notes), order.refund_amount)
    counts = selectors.count_orders_by_status(client=redis_client)
    assert sum(counts.values()) == len(placed)
    for sku in (mug, tee, pen):
        inventory = repository.load(Inventory, sku).aggregate
        level = selectors.get_stock_level(sku, client=redis_client)
        if not inventory.exists:
            assert level is None
            continue
        assert (level.on_hand, level.reserved, level.available) == (
            inventory.on_hand, inventory.reserved, inventory.available)
        assert 0 <= inventory.reserved <= inventory.on_hand  # never oversold
        # Only confirmed or paid orders still hold stock once fulfillment has caught up.
        holders = {o for o in inventory.reservations if load(o).status in (OrderStatus.CONFIRMED, OrderStatus.PAID)}
        assert holders == set(inventory.reservations)
