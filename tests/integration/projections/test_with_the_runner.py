"""End to end through the generic runner: commands -> fulfillment -> read models -> selectors."""
from __future__ import annotations

import pytest

from eventlog.subscriptions import keys
from eventlog.subscriptions.runner import run_subscriber
from orders.domain.values import OrderStatus
from orders.fulfillment import FulfillmentProcessManager
from projections import selectors
from projections.subscribers import READ_MODELS

from .conftest import place, receive

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_runner_drives_fulfillment_and_every_read_model(app_store, redis_client, skus):
    mug, tee, _ = skus
    manager = FulfillmentProcessManager(store=app_store)
    # Start every subscriber at the head: the shared test store holds other tests' history.
    head = app_store.head_position()
    for subscriber in (*READ_MODELS, manager):
        redis_client.set(keys.checkpoint(subscriber.spec.name, 1), head)
    receive(mug, 3)
    confirmed = place("c1", (mug, 2))
    rejected = place("c2", (mug, 2), (tee, 1))

    result = run_subscriber(manager, store=app_store, redis_client=redis_client)
    assert (result.halted, result.last_error) == (False, None)
    for model in READ_MODELS:
        outcome = run_subscriber(model, store=app_store, redis_client=redis_client)
        assert outcome.caught_up and outcome.parked == 0, outcome

    assert selectors.get_order(confirmed, client=redis_client).status is OrderStatus.CONFIRMED
    refused = selectors.get_order(rejected, client=redis_client)
    assert refused.status is OrderStatus.REJECTED
    assert [line.sku for line in refused.unavailable_lines] == [mug, tee]
    level = selectors.get_stock_level(mug, client=redis_client)
    assert (level.on_hand, level.reserved, level.available, level.is_low) == (3, 2, 1, True)
    today = selectors.get_order(confirmed, client=redis_client).created_at.date()
    [day] = selectors.sales_by_day(today, today, client=redis_client)
    assert (day.orders_created, day.orders_rejected) == (2, 1)
