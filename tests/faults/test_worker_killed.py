"""Scenario 2: the Celery worker is killed with kill -9 mid-batch, and again mid-rebuild.

Given a backlog of order events, when the worker dies while projecting a batch, and later while
filling a new generation for `projections.rebuild orders`: readers keep the old generation
meanwhile, a new worker and the operator's `manage.py projections rebuild orders` finish the job,
and every read model equals a fresh rebuild (nothing lost, nothing counted twice); fulfillment
decided each order exactly once.
"""
from __future__ import annotations

import subprocess
import time

import pytest

from eventlog.subscriptions import keys
from eventlog.subscriptions.checkpoints import live_generation, read_checkpoint
from eventlog.subscriptions.lock import text
from projections.orders import NAME as ORDERS
from tests.faults.checks import assert_ledger, assert_read_models_equal_fresh_rebuild, settle
from tests.faults.load import append_backlog
from tests.faults.stack import PYTHON, ROOT, Stack, wait_until

pytestmark = pytest.mark.faults

SKU = "FAULT-B"  # never stocked: fulfillment rejects these orders (and releases nothing)


def checkpoint(stack: Stack) -> int:
    return read_checkpoint(stack.redis, ORDERS, live_generation(stack.redis, ORDERS)) or 0


def test_a_worker_killed_mid_batch_and_mid_rebuild_leaves_read_models_equal_to_a_fresh_rebuild(stack: Stack):
    # -- mid-batch ---------------------------------------------------------------------------------
    stack.receive_stock("FAULT-A", 5)  # so the inventory read model has something to compare too
    settle(stack)
    start = checkpoint(stack)
    orders = append_backlog(stack, sku=SKU, orders=40, notes=49)  # 2,000 events: four batches of 500
    head = stack.store.head_position()
    stack.send_task("projections.catch_up_all")  # the beat would send it within a second anyway
    wait_until(lambda: checkpoint(stack) > start, timeout=30, interval=0.002, what="a first batch committed")
    stack["worker"].kill()
    assert checkpoint(stack) < head, "the worker finished before it could be killed mid-batch"

    stack["worker"].start()  # the dead worker's lock expires after its TTL; beat carries on
    settle(stack, timeout=90)
    assert checkpoint(stack) >= head

    # -- mid-rebuild -------------------------------------------------------------------------------
    old = live_generation(stack.redis, ORDERS)
    stack.send_task("projections.rebuild", ORDERS)
    state = keys.rebuild_state(ORDERS)
    wait_until(lambda: int(text(stack.redis.hget(state, "done")) or 0) > 0, timeout=30, interval=0.002,
               what="the rebuild to commit into the new generation")
    stack["worker"].kill()
    assert live_generation(stack.redis, ORDERS) == old, "the rebuild switched before the worker was killed"
    assert text(stack.redis.hget(state, "generation")) == str(old + 1), "the interrupted rebuild left no state"

    # Readers still get the old generation, complete, while the rebuild is interrupted.
    some_order = next(iter(orders))
    with stack.staff() as http:
        response = http.get(stack.url(f"/api/orders/{some_order}/"), timeout=15)
    assert response.status_code == 200 and response.json()["note_count"] == 49, response.text

    stack["worker"].start()
    # The operator resumes it by hand: `manage.py projections rebuild orders` (busy until the dead lease expires).
    def resumed() -> bool:
        run = subprocess.run([PYTHON, "manage.py", "projections", "rebuild", ORDERS], cwd=ROOT, env=stack.env,
                             capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stdout + run.stderr
        if "another rebuild is running" in run.stdout:
            time.sleep(1)
            return False
        return f"switched to generation {old + 1}" in run.stdout

    wait_until(resumed, timeout=90, what="the rebuild to resume and switch", interval=0.1)
    assert live_generation(stack.redis, ORDERS) == old + 1
    assert not stack.redis.exists(state), "the finished rebuild left its state behind"

    settle(stack)
    assert_ledger(stack, orders)  # each order rejected exactly once by fulfillment, despite two kills
    assert_read_models_equal_fresh_rebuild(stack)
    assert not list(stack.redis.scan_iter(match=keys.generation_pattern(ORDERS, old))), "old generation left"
