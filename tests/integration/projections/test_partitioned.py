"""Order summaries and fulfillment split into partitions by order stream, read back through the selectors."""
from __future__ import annotations

import pytest

from eventlog.subscriptions.partitions import partition_index
from eventlog.subscriptions.runner import run_subscriber
from orders.domain.values import OrderStatus
from orders.fulfillment import FulfillmentProcessManager
from projections import selectors
from projections.orders import OrderSummaryProjection

from .conftest import in_partitions, place, receive

pytestmark = pytest.mark.django_db(transaction=True)




def test_partitioned_fulfillment_and_order_summaries_read_back_whole(app_store, redis_client, skus):
    mug, tee, _ = skus
    head = app_store.head_position()
    manager = in_partitions(FulfillmentProcessManager(store=app_store), 4, redis_client, head)
    summaries = in_partitions(OrderSummaryProjection(), 4, redis_client, head)
    receive(mug, 5)
    placed = [place(f"c{n % 2}", (mug, 1)) for n in range(8)]  # 5 confirmed, 3 rejected: never oversold
    assert len({partition_index(order_id, 4) for order_id in placed}) > 1

    decided = run_subscriber(manager, store=app_store, redis_client=redis_client)
    projected = run_subscriber(summaries, store=app_store, redis_client=redis_client)

    assert not decided.halted and len(decided.partitions) == 4
    assert projected.caught_up and projected.applied > 0
    statuses = [selectors.get_order(order_id, client=redis_client).status for order_id in placed]
    assert statuses.count(OrderStatus.CONFIRMED) == 5 and statuses.count(OrderStatus.REJECTED) == 3
    counts = selectors.count_orders_by_status(client=redis_client)
    assert (counts[OrderStatus.CONFIRMED], counts[OrderStatus.REJECTED]) == (5, 3)
    # Pages merge the partitions' indexes: newest first, each order once, the cursor goes on across them.
    first = selectors.list_orders(page_size=3, client=redis_client)
    rest = selectors.list_orders(page_size=10, cursor=first.next_cursor, client=redis_client)
    assert [o.order_id for o in (*first.items, *rest.items)] == list(reversed(placed))
    assert first.total == 8 and rest.next_cursor is None
    mine = selectors.list_orders_by_customer("c0", client=redis_client)
    assert [o.order_id for o in mine.items] == list(reversed(placed[0::2]))
    rejected = selectors.list_orders_by_status(OrderStatus.REJECTED, client=redis_client)
    assert {o.order_id for o in rejected.items} == {o for o, s in zip(placed, statuses, strict=True)
                                                  if s is OrderStatus.REJECTED}
    assert selectors.get_order(tee, client=redis_client) is None  # a malformed id is still just "none"
