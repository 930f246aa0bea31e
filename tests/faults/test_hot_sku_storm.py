"""Scenario 5: a hot-sku storm. 500 orders of one unit from 50 concurrent clients, for 100 units.

Then: every request is acknowledged (no 500s), exactly 100 units are reserved and 100 orders
confirmed, the other 400 rejected, none left PENDING, each decided once; the read models agree.
"""
from __future__ import annotations

from collections import Counter

import pytest

from orders.domain.events import StockReleased, StockReserved
from tests.faults.checks import all_events, assert_ledger, assert_read_models_equal_fresh_rebuild, settle
from tests.faults.load import Load, acknowledged, statuses
from tests.faults.stack import HTTP_TIMEOUT, Stack

pytestmark = pytest.mark.faults

SKU = "HOT-SKU"
UNITS = 100
ORDERS = 500
CLIENTS = 50


def test_500_concurrent_orders_for_100_units_reserve_exactly_100(stack: Stack):
    stack.receive_stock(SKU, UNITS)

    load = Load(stack, lines=[(SKU, 1)], clients=CLIENTS, max_requests=ORDERS, max_seconds=90).start()
    outcomes = load.join()

    assert len(outcomes) == ORDERS, f"only {len(outcomes)} requests were sent within the time bound"
    assert statuses(outcomes) == {201: ORDERS}, statuses(outcomes)
    orders = acknowledged(outcomes)
    assert len(orders) == ORDERS

    settle(stack, timeout=120)
    streams = assert_ledger(stack, orders)  # each order exactly one OrderCreated and one decision
    decisions = Counter(type(events[-1].data).__name__ for events in streams.values())
    assert decisions == {"OrderConfirmed": UNITS, "OrderRejected": ORDERS - UNITS}, decisions

    stock = [e for e in all_events(stack.store) if e.stream_name == f"inventory-{SKU}"]
    reserved = sum(e.event_type == StockReserved.__name__ for e in stock)
    released = sum(e.event_type == StockReleased.__name__ for e in stock)
    assert (reserved, released) == (UNITS, 0)
    confirmed = {order_id for order_id, events in streams.items() if type(events[-1].data).__name__ == "OrderConfirmed"}
    assert {e.data["order_id"] for e in stock if e.event_type == StockReserved.__name__} == confirmed

    with stack.staff() as http:
        level = http.get(stack.url(f"/api/inventory/{SKU}/"), timeout=HTTP_TIMEOUT).json()
        assert (level["on_hand"], level["reserved"], level["available"]) == (UNITS, UNITS, 0), level
        for status, expected in (("PENDING", 0), ("CONFIRMED", UNITS), ("REJECTED", ORDERS - UNITS)):
            page = http.get(stack.url(f"/api/orders/?status={status}&page_size=1"), timeout=HTTP_TIMEOUT).json()
            assert page["total"] == expected, (status, page)
    assert_read_models_equal_fresh_rebuild(stack)
