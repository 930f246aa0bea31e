"""An erasure reaches every partition: a customer's orders spread over four partitions all read "[erased]"
(summaries and customer timelines), another customer's stay whole, and the books do not move."""
from __future__ import annotations

import json

import pytest

from eventlog.pii import ERASED
from eventlog.subscriptions.partitions import partition_index
from eventlog.subscriptions.runner import run_subscriber
from orders.domain.commands import EraseCustomer
from orders.domain.values import Actor
from orders.handlers import dispatch
from projections import selectors
from projections.customer_timeline import CustomerTimelineProjection
from projections.orders import OrderSummaryProjection
from tests.factories import ADDRESS, CONTACT_EMAIL

from .conftest import in_partitions, place, receive

pytestmark = pytest.mark.django_db(transaction=True)




def test_an_erasure_reaches_the_customers_orders_in_every_partition(app_store, redis_client, skus, unique):
    mug, _, _ = skus
    head = app_store.head_position()
    read_models = [in_partitions(projection, 4, redis_client, head)
                   for projection in (OrderSummaryProjection(), CustomerTimelineProjection())]
    receive(mug, 50)
    erased, kept = f"9{unique}", f"8{unique}"
    mine = [place(erased, (mug, 1)) for _ in range(8)]
    theirs = place(kept, (mug, 1))
    assert len({partition_index(order_id, 4) for order_id in mine}) > 1
    for projection in read_models:
        run_subscriber(projection, store=app_store, redis_client=redis_client)
    totals = {order_id: selectors.get_order(order_id, client=redis_client).total for order_id in mine}

    dispatch(EraseCustomer(erased), actor=Actor.staff("1"))
    for projection in read_models:
        assert run_subscriber(projection, store=app_store, redis_client=redis_client).caught_up

    for order_id in mine:
        summary, timeline = selectors.get_customer_order(order_id, client=redis_client)
        assert summary.shipping_address.line1 == ERASED and summary.contact_email == ERASED
        assert summary.total == totals[order_id] and summary.shipping_address.country == ADDRESS.country
        text = json.dumps([entry.data for entry in timeline.timeline.entries]) + json.dumps(timeline.timeline.state)
        assert ADDRESS.line1 not in text and CONTACT_EMAIL not in text and ERASED in text
    other, _ = selectors.get_customer_order(theirs, client=redis_client)
    assert other.shipping_address == ADDRESS and other.contact_email == CONTACT_EMAIL
