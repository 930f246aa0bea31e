"""The read side driven by a real Celery worker: nudges, the fulfillment flow, and kill -9 mid-batch."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from uuid import uuid4

import pytest

from eventlog.envelope import NO_STREAM, EventMetadata, NewEvent
from eventlog.subscriptions.checkpoints import live_generation, read_checkpoint
from eventlog.subscriptions.consistency import wait_for_position
from eventlog.subscriptions.rebuild import rebuild
from orders.domain.commands import CreateOrder, ReceiveStock, RequestedLine
from orders.domain.events import OrderCreated, OrderNoteAdded
from orders.domain.values import Actor, OrderLine, OrderStatus
from orders.handlers import dispatch
from orders.models import Product
from projections import selectors
from projections.orders import NAME as ORDERS
from projections.orders import OrderSummaryProjection
from tests.conftest import start_subscribers_at_head
from tests.integration.projections.conftest import dump

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def start_worker(database_url: str, *queues: str) -> subprocess.Popen:
    """A real Celery worker (prefork, 2 processes) on the run's private Redis broker: every queue, or those named."""
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "prefork", "--concurrency", "2",
               "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel", "WARNING"]
    if queues:
        command += ["-Q", ",".join(queues)]
    return subprocess.Popen(command, cwd=ROOT, env={**os.environ, "DATABASE_URL": database_url}, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def start_beat(schedule: Path) -> subprocess.Popen:
    """Celery beat: sends the catch-up backstop every second."""
    command = [sys.executable, "-m", "celery", "-A", "config", "beat", "--schedule", str(schedule),
               "--loglevel", "WARNING"]
    return subprocess.Popen(command, cwd=ROOT, env=os.environ.copy(), start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def kill_group(worker: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
    """Signal the worker and its prefork children together."""
    try:
        os.killpg(worker.pid, sig)
    except ProcessLookupError:
        return
    worker.wait(timeout=20)


@pytest.fixture(autouse=True)
def start_at_the_head(app_store, redis_client) -> None:
    """The event store is shared by the whole run: subscribers here only need what these tests write."""
    start_subscribers_at_head(redis_client, app_store)


@pytest.fixture
def worker(worker_database_url: str) -> Iterator[Callable[..., subprocess.Popen]]:
    started: list[subprocess.Popen] = []

    def start(*queues: str) -> subprocess.Popen:
        started.append(start_worker(worker_database_url, *queues))
        return started[-1]

    yield start
    for process in started:
        kill_group(process, signal.SIGTERM)


def eventually(check: Callable[[], object], *, timeout: float = 20.0, what: str) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def settle(store, client, *, timeout: float = 60.0) -> None:
    """Wait until every subscriber has caught up with a head that no longer moves."""
    from eventlog.subscriptions.subscribers import all_subscribers

    names = [candidate.spec.name for candidate in all_subscribers()]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        head = store.head_position()
        if wait_for_position(client, names, head, timeout=5) and store.head_position() == head:
            return
    raise AssertionError("the subscribers did not settle")


def test_an_order_flows_from_pending_to_confirmed_through_the_worker(worker, redis_client, unique):
    worker()
    sku = f"FLOW-{unique}".upper()
    Product.objects.create(sku=sku, name="Flow", unit_price=Decimal("5.00"))
    dispatch(ReceiveStock(sku=sku, quantity=3), actor=Actor.staff("1"))
    order_id = uuid4()

    result = dispatch(CreateOrder(order_id=order_id, customer_id="77", lines=(RequestedLine(sku=sku, quantity=2),)),
                      actor=Actor.customer("77"))

    assert wait_for_position(redis_client, [ORDERS], result.commit_position, timeout=20)
    assert selectors.get_order(order_id, client=redis_client) is not None
    summary = eventually(lambda: (s := selectors.get_order(order_id, client=redis_client))
                         and s.status == OrderStatus.CONFIRMED and s, what="the order to be confirmed")
    assert summary.total == Decimal("10.00") and summary.customer_id == "77"
    level = eventually(lambda: (lv := selectors.get_stock_level(sku, client=redis_client)) and lv.reserved == 2
                       and lv, what="the reservation to show")
    assert (level.on_hand, level.available) == (3, 1)


def test_workers_per_queue_each_run_only_their_role(worker, redis_client, unique):
    from orders.fulfillment import NAME as FULFILLMENT
    from projections import nudge

    worker("projections")  # the read models' queue only: nobody runs the process manager yet
    sku = f"QUEUE-{unique}".upper()
    Product.objects.create(sku=sku, name="Queue", unit_price=Decimal("5.00"))
    dispatch(ReceiveStock(sku=sku, quantity=3), actor=Actor.staff("1"))
    order_id = uuid4()
    result = dispatch(CreateOrder(order_id=order_id, customer_id="78", lines=(RequestedLine(sku=sku, quantity=1),)),
                      actor=Actor.customer("78"))

    assert wait_for_position(redis_client, [ORDERS], result.commit_position, timeout=20)
    assert selectors.get_order(order_id, client=redis_client).status == OrderStatus.PENDING
    assert (read_checkpoint(redis_client, FULFILLMENT, 1) or 0) < result.commit_position

    worker("fulfillment")  # its queue gets a worker: the order is decided, and projected by the first one

    def confirmed() -> bool:
        nudge.publish_nudge()  # as each command does (at most one message pending per subscriber)
        summary = selectors.get_order(order_id, client=redis_client)
        return summary is not None and summary.status == OrderStatus.CONFIRMED

    eventually(confirmed, timeout=30, what="the order to be confirmed by the fulfillment worker")


def test_a_nudge_sends_one_message_per_subscriber_until_its_run_starts(redis_client):
    from eventlog.subscriptions.subscribers import all_subscribers
    from projections import nudge

    names = [candidate.spec.name for candidate in all_subscribers()]
    for name in names:
        nudge.clear(redis_client, name)

    assert nudge.fan_out(redis_client) == names
    assert nudge.fan_out(redis_client) == []  # all pending: a burst of commands sends nothing more
    nudge.clear(redis_client, ORDERS)  # the orders run started: the next command must wake it again
    assert nudge.fan_out(redis_client) == [ORDERS]


def test_a_worker_killed_mid_batch_leaves_the_read_model_equal_to_a_fresh_rebuild(app_store, worker, redis_client,
                                                                                  tmp_path):
    metadata = EventMetadata(correlation_id=uuid4(), causation_id=None, actor="staff:1")
    last_position, ours = 0, set()
    for n in range(120):  # 120 orders x 12 events, appended straight to the store: 1,440 events to project
        order_id = uuid4()
        ours.add(str(order_id))
        events = [OrderCreated(order_id=order_id, customer_id=f"c{n % 7}", currency="EUR", total=Decimal("1.00"),
                               lines=(OrderLine(sku="KILL-TEST", name="k", quantity=1, unit_price=Decimal("1.00")),))]
        events += [OrderNoteAdded(order_id=order_id, text=f"note {i}", author="staff:1") for i in range(11)]
        encoded = []
        for event in events:
            event_type, data = app_store.registry.encode(event, subject=f"c{n % 7}")
            encoded.append(NewEvent(uuid4(), event_type.name, 1, data, metadata))
        last_position = app_store.append(f"order-{order_id}", encoded, expected_version=NO_STREAM).commit_position
    start = read_checkpoint(redis_client, ORDERS, live_generation(redis_client, ORDERS)) or 0

    first = worker()
    from projections.tasks import catch_up_all

    catch_up_all.apply_async()
    eventually(lambda: (read_checkpoint(redis_client, ORDERS, live_generation(redis_client, ORDERS)) or 0) > start,
               timeout=30, what="the worker to commit a first batch")
    kill_group(first)  # kill -9, whatever it was doing
    assert (read_checkpoint(redis_client, ORDERS, live_generation(redis_client, ORDERS)) or 0) < last_position

    # The killed worker's lock expires after its TTL; the beat backstop then lets a new worker finish.
    worker()
    beat = start_beat(tmp_path / "beat-schedule")
    try:
        assert wait_for_position(redis_client, [ORDERS], last_position, timeout=60)
        settle(app_store, redis_client)  # fulfillment rejects these orders (no stock): wait for all of it
    finally:
        kill_group(beat, signal.SIGTERM)

    generation = live_generation(redis_client, ORDERS)
    live = dump(redis_client, ORDERS, generation)
    result = rebuild(OrderSummaryProjection(), store=app_store, redis_client=redis_client, cleanup="none")
    assert result.switched
    fresh = dump(redis_client, ORDERS, result.generation)
    assert only(ours, fresh) == only(ours, live) and len(only(ours, live)) > 120


def only(order_ids: set[str], contents: dict[str, object]) -> dict[str, object]:
    """The keys and index members of these orders, without the generation in the key names."""
    kept: dict[str, object] = {}
    for key, value in contents.items():
        relative = key.split(":", 3)[3]  # rm:<name>:g<gen>:<relative>
        if relative.startswith("order:"):
            if relative.removeprefix("order:") in order_ids:
                kept[relative] = value
        elif isinstance(value, list):  # an index: keep our members and their scores
            members = [(member, score) for member, score in value if member.decode() in order_ids]
            if members:
                kept[relative] = members
    return kept
