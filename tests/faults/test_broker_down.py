"""Scenario 6: the Celery broker (its own redis-server) is down.

Commands still succeed over HTTP, without waiting on the broker: the event store is the source of
truth. Reads say they are behind instead of failing. Once the broker is back, with no new command
to nudge anyone, the beat backstop alone brings every projection and fulfillment up to date.
"""
from __future__ import annotations

import time

import pytest

from tests.faults.checks import assert_ledger, assert_read_models_equal_fresh_rebuild, settle, subscriber_names
from tests.faults.load import acknowledged, create_order, statuses
from tests.faults.stack import HTTP_TIMEOUT, Stack, wait_until

pytestmark = pytest.mark.faults

SKU = "FAULT-A"
ORDERS = 30


def test_commands_succeed_with_the_broker_down_and_beat_catches_up_once_it_is_back(stack: Stack):
    from eventlog.subscriptions.checkpoints import live_checkpoints

    stack.receive_stock(SKU, 1000)
    settle(stack)

    stack["broker"].kill()
    started = time.monotonic()
    outcomes = []
    for n in range(ORDERS):
        with stack.customer(n) as http:
            outcomes.append(create_order(stack, http, customer=n, lines=[(SKU, 1)]))
    elapsed = time.monotonic() - started

    assert statuses(outcomes) == {201: ORDERS}, [(o.status, o.body) for o in outcomes if not o.ok][:3]
    slowest = max(o.ended - o.started for o in outcomes)
    assert slowest < 3.0 and elapsed < 30, f"commands waited for the broker: {slowest:.1f}s, {elapsed:.1f}s in all"
    orders = acknowledged(outcomes)
    head = stack.store.head_position()

    # Nobody projects meanwhile; a read-your-writes read says so (stale / not yet), it does not fail.
    time.sleep(2)
    checkpoints = live_checkpoints(stack.redis, subscriber_names())
    assert all((cp or 0) < head for _, cp in checkpoints.values()), checkpoints
    last = outcomes[-1]
    with stack.customer(last.customer) as http:
        read = http.get(stack.url(f"/api/orders/{last.order_id}/?min_position={last.body['commit_position']}"),
                        timeout=HTTP_TIMEOUT)
    assert read.status_code in (200, 404), (read.status_code, read.text)
    assert read.headers.get("X-Data-Stale") == "true" and read.headers.get("Retry-After"), read.headers
    assert stack["worker"].alive and stack["beat"].alive, "the worker or beat died with the broker"

    stack["broker"].start()  # empty: whatever was queued before is gone; only beat's backstop is left
    settle(stack, timeout=90)
    assert time.monotonic() - started < 120

    streams = assert_ledger(stack, orders)
    assert all(type(events[-1].data).__name__ == "OrderConfirmed" for events in streams.values())
    with stack.customer(last.customer) as http:
        body = wait_until(lambda: (r := http.get(stack.url(f"/api/orders/{last.order_id}/"), timeout=HTTP_TIMEOUT))
                          .status_code == 200 and r.json(), timeout=10, what="the order to read back")
    assert body["status"] == "CONFIRMED" and body["stale"] is False
    assert_read_models_equal_fresh_rebuild(stack)
