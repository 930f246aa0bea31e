"""Scenario: three workers share partitioned subscribers; one is killed with kill -9 mid-partition.

Given order summaries and fulfillment split into four partitions each (SUBSCRIBER_PARTITIONS) and
three Celery workers, and a backlog of orders for a sku with less stock than orders: when the
worker holding a partition's lease dies while that partition is behind, another worker takes the
partition over once the dead lease expires (the lease TTL, 5 s, plus a beat), and in the end every
order is decided exactly once (none PENDING), stock is never oversold, and every read model equals
a fresh rebuild key by key (an event applied twice would show as a wrong note count).
"""
from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest

from eventlog.subscriptions import keys
from eventlog.subscriptions.checkpoints import live_generation, read_checkpoint
from eventlog.subscriptions.lock import text
from eventlog.subscriptions.partitions import live_scopes
from eventlog.subscriptions.runner import DEFAULT_LOCK_TTL
from orders.domain.events import StockReleased, StockReserved
from projections.orders import NAME as ORDERS
from tests.faults.checks import all_events, assert_ledger, assert_read_models_equal_fresh_rebuild, settle
from tests.faults.load import append_backlog
from tests.faults.stack import Service, Stack, Template, wait_until

pytestmark = pytest.mark.faults

FULFILLMENT = "fulfillment"
SKU = "FAULT-A"
UNITS = 25
ORDER_COUNT = 60
NOTES = 30  # per order: 1,860 order events for the summaries, in four partitions
TAKEOVER_SLACK = 6.0  # beat period and a loaded machine, on top of the lease TTL


@pytest.fixture(scope="module")
def stack(template: Template, tmp_path_factory: pytest.TempPathFactory):
    """The product with partitioned subscribers and three single-process workers."""
    running = Stack(tmp_path_factory.mktemp("partitions"), template, worker_concurrency=1)
    running.env["SUBSCRIBER_PARTITIONS"] = f"{ORDERS}=4;{FULFILLMENT}=4"  # every service shares this env
    first = running.services["worker"]
    for n in (2, 3):
        argv = [arg.replace("faults-", f"faults{n}-") for arg in first.argv]
        running.services[f"worker{n}"] = Service(f"worker{n}", argv, running.env,
                                                 first.log_path.with_name(f"worker{n}.log"), first.ready, 90)
    try:
        running.start()
        for n in (2, 3):
            running[f"worker{n}"].start()
        yield running
    finally:
        for n in (2, 3):
            running[f"worker{n}"].stop(timeout=10)
        running.close()


def workers(stack: Stack) -> list[Service]:
    return [stack["worker"], stack["worker2"], stack["worker3"]]


def owner(stack: Stack, holder: str | None) -> Service | None:
    """The worker service whose process (or prefork child) holds a lease "<token> <host>:<pid>"."""
    if not holder:
        return None
    pid = int(holder.rpartition(":")[2])
    parent = int(Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[1]) \
        if Path(f"/proc/{pid}/stat").exists() else -1
    return next((w for w in workers(stack) if w.process and w.process.pid in (pid, parent)), None)


def partition_held_while_behind(stack: Stack) -> tuple[str, str, Service] | None:
    """(subscriber, scope, holder) of a partition a worker is working on with events still to go."""
    head = stack.store.head_position()
    for name in (FULFILLMENT, ORDERS):
        generation = live_generation(stack.redis, name)
        for scope in live_scopes(stack.redis, [name])[name]:
            holder = owner(stack, text(stack.redis.get(keys.lock(scope))))
            checkpoint = read_checkpoint(stack.redis, scope, generation)
            if holder is not None and checkpoint is not None and checkpoint < head:
                return name, scope, holder
    return None


def test_a_killed_workers_partitions_are_taken_over_and_nothing_is_lost_or_doubled(stack: Stack):
    stack.receive_stock(SKU, UNITS)
    settle(stack)
    assert len(live_scopes(stack.redis, [ORDERS])[ORDERS]) == 4, "the orders read model is not partitioned"

    orders = append_backlog(stack, sku=SKU, orders=ORDER_COUNT, notes=NOTES)
    stack.send_task("projections.catch_up_all")
    name, scope, victim = wait_until(lambda: partition_held_while_behind(stack), timeout=60, interval=0.005,
                                     what="a worker to hold a partition that is behind")
    generation = live_generation(stack.redis, name)
    at_kill = read_checkpoint(stack.redis, scope, generation)
    victim.kill()
    killed_at = time.monotonic()

    # Another worker claims the dead worker's partition once its lease has expired, and carries it on.
    def claimed() -> bool:
        holder = owner(stack, text(stack.redis.get(keys.lock(scope))))
        moved = (read_checkpoint(stack.redis, scope, generation) or 0) > (at_kill or 0)
        return moved or (holder is not None and holder is not victim)
    wait_until(claimed, timeout=DEFAULT_LOCK_TTL + TAKEOVER_SLACK + 20, interval=0.01,
               what=f"{scope} to be taken over after {victim.name} was killed")
    takeover = time.monotonic() - killed_at
    wait_until(lambda: (read_checkpoint(stack.redis, scope, generation) or 0) > (at_kill or 0), timeout=60,
               what=f"{scope} to move on under its new holder")
    assert takeover <= DEFAULT_LOCK_TTL + TAKEOVER_SLACK, f"{scope} taken over only after {takeover:.1f}s"

    settle(stack, timeout=120)
    streams = assert_ledger(stack, orders)  # one OrderCreated, exactly one decision each: none PENDING
    decisions = Counter(type(events[-1].data).__name__ for events in streams.values())
    assert decisions == {"OrderConfirmed": UNITS, "OrderRejected": ORDER_COUNT - UNITS}, decisions
    stock = [e for e in all_events(stack.store) if e.stream_name == f"inventory-{SKU}"]
    reserved = sum(e.event_type == StockReserved.__name__ for e in stock)
    released = sum(e.event_type == StockReleased.__name__ for e in stock)
    assert reserved - released == UNITS, (reserved, released)  # never oversold
    assert_read_models_equal_fresh_rebuild(stack)
    print(f"{scope} of {name} taken over {takeover:.1f}s after its worker was killed (lease TTL "
          f"{DEFAULT_LOCK_TTL:.0f}s)")
