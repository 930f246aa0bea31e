"""Every read model is a function of the events: fed the same events from scratch, in any batch sizes,
or fed them twice, it holds exactly the same Redis contents; events of other streams are ignored."""
from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from uuid import uuid4

import pytest

from eventlog.subscriptions.subscribers import all_subscribers
from orders.domain.commands import CancelOrder, DeliverOrder, PayOrder, ShipOrder
from orders.domain.events import OrderCreated, StockReceived
from orders.domain.values import Actor
from orders.fulfillment import FulfillmentProcessManager
from orders.handlers import dispatch
from projections.subscribers import READ_MODELS

from .conftest import (
    STAFF,
    dump,
    events_of,
    inventory_streams,
    order_streams,
    place,
    project,
    receive,
    run_process_manager,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def history(app_store, skus):
    """A small shop day: orders confirmed, rejected, paid, shipped, delivered, cancelled with a refund."""
    mug, tee, pen = skus
    receive(mug, 6)
    receive(tee, 2)
    orders = [place("c1", (mug, 2), (tee, 1)), place("c2", (tee, 5)), place("c1", (mug, 1), (pen, 1)),
              place("c3", (mug, 3))]
    run_process_manager(FulfillmentProcessManager(store=app_store), app_store, *orders)
    dispatch(PayOrder(order_id=orders[0], amount=Decimal("44.90"), payment_reference="a"), actor=Actor.customer("c1"))
    dispatch(ShipOrder(order_id=orders[0], carrier="DHL", tracking_number="1"), actor=STAFF)
    dispatch(DeliverOrder(order_id=orders[0]), actor=STAFF)
    dispatch(PayOrder(order_id=orders[3], amount=Decimal("37.50"), payment_reference="b"), actor=Actor.customer("c3"))
    dispatch(CancelOrder(order_id=orders[3], reason="gone"), actor=Actor.customer("c3"))
    events = events_of(app_store, *order_streams(*orders), *inventory_streams(mug, tee, pen))
    # Streams the prefix regex also matches server-side (`snapshot-order-...`): every read model must skip
    # them, even when they carry something that looks like a domain event.
    created = next(e for e in events if isinstance(e.data, OrderCreated))
    received = next(e for e in events if isinstance(e.data, StockReceived))
    strays = [replace(created, stream_name=f"snapshot-order-{uuid4()}", data=replace(created.data, order_id=uuid4())),
              replace(received, stream_name="snapshot-inventory-X", data=replace(received.data, sku="STRAY-1"))]
    return [*strays, *events]


@pytest.mark.parametrize("read_model", READ_MODELS, ids=lambda model: model.spec.name)
def test_the_same_events_give_the_same_read_model(redis_client, history, read_model):
    name = read_model.spec.name
    project(redis_client, read_model, history)
    once = dump(redis_client, name)
    assert once, f"{name} wrote nothing"
    assert not any("STRAY" in key or str(history[0].data.order_id) in key for key in once)

    redis_client.flushdb()
    project(redis_client, read_model, history, batch_size=3)
    assert dump(redis_client, name) == once

    project(redis_client, read_model, history, batch_size=5)  # everything a second time
    assert dump(redis_client, name) == once


def test_the_registry_names_every_subscriber_once():
    names = [subscriber.spec.name for subscriber in all_subscribers()]
    assert names == ["orders", "inventory", "sales", "customer_timeline", "fulfillment", "notifications"]
    assert all(model.spec.rebuildable for model in READ_MODELS)
    fulfillment, notifications = (candidate.spec for candidate in all_subscribers()[-2:])
    assert (fulfillment.rebuildable, fulfillment.policy, fulfillment.stream_prefixes) == (False, "halt", ("order-",))
    # A mail server outage parks events (retried by hand later) instead of stopping every other email.
    assert (notifications.rebuildable, notifications.policy, notifications.stream_prefixes) == (False, "park",
                                                                                               ("order-",))
