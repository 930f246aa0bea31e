"""Scenario 1: the event store is killed with kill -9 in the middle of a stream of order creations.

Given clients creating orders over HTTP (each with an Idempotency-Key), when the event store dies
and comes back on the same data directory and port: every 2xx order is in the store with its
events exactly once; requests during the outage got a 503 problem with Retry-After; new orders
succeed after the restart and fulfillment decides them, with nobody touching anything; a client
retrying its failed requests with the same keys gets each order exactly once.
"""
from __future__ import annotations

import time

import pytest

from tests.faults.checks import assert_ledger, assert_read_models_equal_fresh_rebuild, settle
from tests.faults.load import PROBLEM_JSON, Load, acknowledged, create_order, statuses
from tests.faults.stack import HTTP_TIMEOUT, Stack, wait_until

pytestmark = pytest.mark.faults

SKU = "FAULT-A"


def test_kill_9_of_the_event_store_loses_nothing_acknowledged(stack: Stack):
    stack.receive_stock(SKU, 10_000)
    load = Load(stack, lines=[(SKU, 1)], clients=4, max_requests=600, max_seconds=60, pause=0.02).start()
    try:
        load.wait_for(lambda seen: sum(o.ok for o in seen) >= 20, timeout=30, what="orders before the crash")

        stack["eventstore"].kill()
        killed_at = time.monotonic()
        load.wait_for(lambda seen: sum(o.status == 503 and o.started > killed_at for o in seen) >= 8,
                      timeout=30, what="503s during the outage")
        stack["eventstore"].start()
        restarted_at = time.monotonic()
        # No manual step: the web workers reconnect by themselves.
        load.wait_for(lambda seen: sum(o.ok and o.started > restarted_at for o in seen) >= 20, timeout=45,
                      what="orders after the restart")
    finally:
        outcomes = load.stop()

    counts = statuses(outcomes)
    assert set(counts) <= {201, 503}, f"only 201 and 503 are acceptable answers: {counts}\n{stack.logs('web')}"
    during = [o for o in outcomes if o.status == 503]
    for outcome in during:
        assert outcome.headers.get("Content-Type", "").startswith(PROBLEM_JSON), outcome.headers
        assert outcome.headers.get("Retry-After", "").isdigit(), outcome.headers
        assert outcome.body["type"].endswith(":service-unavailable"), outcome.body
        assert "event store" in outcome.body["detail"], outcome.body
    assert during[0].started >= killed_at - 1, "503s before the event store went down"

    # A careful client retries what failed with the same Idempotency-Key: each becomes one order.
    retried = []
    for outcome in during:
        with stack.customer(outcome.customer) as http:
            again = create_order(stack, http, customer=outcome.customer, lines=[(SKU, 1)], key=outcome.key)
        assert again.status == 201, (again.status, again.body)
        retried.append(again)

    orders = {**acknowledged(outcomes), **acknowledged(retried)}
    assert len(orders) == counts[201] + len(during), "an order id was acknowledged twice"
    settle(stack)
    streams = assert_ledger(stack, orders)
    assert all(type(events[1].data).__name__ == "OrderConfirmed" for events in streams.values())

    # The read side agrees: the last order reads as CONFIRMED over HTTP, and nothing drifted.
    last = max((o for o in outcomes if o.ok), key=lambda o: o.ended)
    with stack.customer(last.customer) as http:
        body = wait_until(lambda: (r := http.get(stack.url(f"/api/orders/{last.order_id}/"), timeout=HTTP_TIMEOUT))
                          .status_code == 200 and r.json(), timeout=20, what="the last order to read back")
    assert body["status"] == "CONFIRMED"
    level = stack.staff().get(stack.url(f"/api/inventory/{SKU}/"), timeout=HTTP_TIMEOUT).json()
    assert level["reserved"] == len(orders)
    assert_read_models_equal_fresh_rebuild(stack)
