"""A real Celery worker (and beat) as an operator sees it: its metrics, its log lines, an idle system's silence."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from uuid import uuid4

import pytest
import redis

from config.devstack import local_services
from config.devstack.local_services import free_port
from eventlog.envelope import NO_STREAM, EventMetadata, NewEvent
from eventlog.store import EventStore
from eventlog.subscriptions.consistency import wait_for_position
from orders.domain.commands import CreateOrder, ReceiveStock, RequestedLine
from orders.domain.events import OrderConfirmed
from orders.domain.values import Actor, OrderStatus
from orders.handlers import dispatch
from orders.models import Product
from orders.roles import OPERATIONS
from projections import selectors
from tests.conftest import make_staff
from tests.integration.test_worker import eventually, kill_group

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


class Stack:
    """A worker serving its metrics on a port, and beat, both logging JSON at INFO to files.

    They get an event store and a Redis of their own: the run's shared ones hold other tests' poison
    events and generations, which would make lines an idle system never writes.
    """

    def __init__(self, tmp: Path, *, database_url: str) -> None:
        store_port, redis_port = free_port(), free_port()
        self.services = [local_services.start(local_services.eventstore_command(store_port), port=store_port),
                         local_services.start(local_services.redis_command(redis_port), port=redis_port)]
        urls = {"EVENTSTORE_URL": f"esdb://127.0.0.1:{store_port}?Tls=false",
                "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0", "CELERY_BROKER_URL": f"redis://127.0.0.1:{redis_port}/1"}
        self.store = EventStore(urls["EVENTSTORE_URL"])
        self.redis = redis.Redis.from_url(urls["REDIS_URL"])
        self.metrics_dir = tmp / "worker-metrics"
        self.metrics_dir.mkdir()
        (self.metrics_dir / "counter_999999.db").write_bytes(b"left over by an earlier run")
        self.port = free_port()
        env = {**os.environ, **urls, "DATABASE_URL": database_url,
               "LOG_JSON": "true", "LOG_LEVEL": "INFO", "WORKER_METRICS_PORT": str(self.port),
               "PROMETHEUS_MULTIPROC_DIR": str(self.metrics_dir)}
        self.worker_log, self.beat_log = tmp / "worker.log", tmp / "beat.log"
        celery = [sys.executable, "-m", "celery", "-A", "config", "--quiet"]
        self.worker = subprocess.Popen(
            [*celery, "worker", "--pool", "prefork", "--concurrency", "2", "--without-gossip", "--without-mingle",
             "--without-heartbeat", "--loglevel", "INFO"],
            cwd=ROOT, env=env, start_new_session=True, stdout=self.worker_log.open("w"), stderr=subprocess.STDOUT)
        beat_env = {k: v for k, v in env.items() if k != "WORKER_METRICS_PORT"}
        self.beat = subprocess.Popen([*celery, "beat", "--schedule", str(tmp / "schedule"), "--loglevel", "INFO"],
                                     cwd=ROOT, env=beat_env, start_new_session=True,
                                     stdout=self.beat_log.open("w"), stderr=subprocess.STDOUT)

    def scrape(self) -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=5) as response:
            return response.read().decode()

    def lines(self) -> list[str]:
        return [line for log in (self.worker_log, self.beat_log) for line in log.read_text().splitlines()
                if line.strip()]

    def stop(self) -> None:
        for process in (self.worker, self.beat):
            kill_group(process, signal.SIGTERM)
        self.store.close()
        for service in self.services:
            local_services.stop(service)


@pytest.fixture(scope="module")
def stack(tmp_path_factory, worker_database_url) -> Iterator[Stack]:
    running = Stack(tmp_path_factory.mktemp("worker"), database_url=worker_database_url)
    try:
        eventually(lambda: _answers(running), timeout=40, what="the worker's metrics endpoint")
        eventually(lambda: any("ready" in line for line in running.lines()), timeout=40, what="the worker")
        yield running
    finally:
        running.stop()


def _answers(stack: Stack) -> bool:
    try:
        stack.scrape()
    except OSError:
        return False
    return True


def test_an_idle_worker_and_beat_write_no_line_per_tick(stack):
    time.sleep(1)  # start-up lines done
    before = len(stack.lines())
    time.sleep(5)  # five beat ticks, each a catch-up task run by the worker

    written = stack.lines()[before:]
    assert written == [], "\n".join(written)
    assert all(line.startswith("{") for line in stack.lines()), "every line of worker and beat is JSON"


def test_commands_the_process_manager_dispatches_are_exported_by_the_worker(stack, unique, client, monkeypatch):
    sku = f"WMET-{unique}".upper()
    Product.objects.create(sku=sku, name="Metered", unit_price=Decimal("2.00"))
    dispatch(ReceiveStock(sku=sku, quantity=5), actor=Actor.staff("1"), store=stack.store)
    order_id = uuid4()
    dispatch(CreateOrder(order_id=order_id, customer_id="5", lines=(RequestedLine(sku=sku, quantity=1),)),
             actor=Actor.customer("5"), store=stack.store)
    eventually(lambda: (s := selectors.get_order(order_id, client=stack.redis)) and s.status == OrderStatus.CONFIRMED,
               timeout=30, what="the worker to confirm the order")

    body = eventually(lambda: (b := stack.scrape()) and 'command="ConfirmOrder",outcome="ok"' in b and b,
                      timeout=10, what="the worker to export ConfirmOrder")
    assert 'ordersys_commands_total{command="ReserveStock",outcome="ok"}' in body
    assert 'ordersys_subscriber_batches_total{subscriber="fulfillment"}' in body
    assert 'ordersys_subscriber_events_applied_total{subscriber="orders"}' in body
    assert not (stack.metrics_dir / "counter_999999.db").exists()  # emptied at start

    # The same files, read by the web's /metrics when web and worker share the directory.
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(stack.metrics_dir))
    client.force_login(make_staff(f"m{unique}", role=OPERATIONS))
    web = client.get("/metrics").content.decode()
    assert 'ordersys_commands_total{command="ConfirmOrder",outcome="ok"}' in web


def test_worker_lines_carry_the_correlation_id_of_the_event_being_handled(stack):
    correlation, order_id = uuid4(), uuid4()
    event_type, data = stack.store.registry.encode(OrderConfirmed(order_id=order_id))
    metadata = EventMetadata(correlation_id=correlation, causation_id=None, actor="staff:1")
    written = stack.store.append(f"order-{order_id}", [NewEvent(uuid4(), event_type.name, 1, data, metadata)],
                                 expected_version=NO_STREAM)  # a confirmation without an order: the projection warns
    assert wait_for_position(stack.redis, ["orders"], written.commit_position, timeout=20)

    def warning() -> dict | None:
        lines = [json.loads(line) for line in stack.lines() if str(order_id) in line]
        return lines[0] if lines else None

    line = eventually(warning, timeout=10, what="the projection's warning")
    assert line["correlation_id"] == str(correlation) and line["subscriber"] == "orders"
    assert line["event_id"] and line["level"] == "warning"
