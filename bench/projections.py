"""Read-side figures: rebuild throughput against the raw $all read rate, and command-to-read-model latency.

Run from the repo root: `.venv/bin/python bench/projections.py`. Prints one JSON metric per line
(see bench/common.py); progress goes to stderr. Starts its own embedded event store (in memory),
Redis and a real Celery worker on free ports.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import signal
import statistics
import subprocess
import tempfile
import time
import uuid
from decimal import Decimal

from bench.common import REPO_ROOT, embedded_eventstore, emit, note, running
from bench.django_env import configure_django
from config.devstack.local_services import redis_command

REBUILD_EVENTS = int(os.environ.get("BENCH_REBUILD_EVENTS", 100_000))
EVENTS_PER_ORDER = 10  # created, then notes: a busy order's history
APPEND_BATCH = 100  # events per append while filling the store (whole orders)
REBUILD_RATIO_TARGET = 0.5
REBUILD_RATE_TARGET = 5_000.0
LATENCY_SAMPLES = 200
LATENCY_P50_TARGET_MS = 20.0
LATENCY_P99_TARGET_MS = 100.0


def fill_store(total: int) -> None:
    """Append `total` order events (whole orders, 10 events each) straight through the store."""
    from eventlog import connections
    from eventlog.envelope import NO_STREAM, EventMetadata, NewEvent
    from orders.domain.events import OrderCreated, OrderNoteAdded
    from orders.domain.values import OrderLine

    store = connections.event_store()
    metadata = EventMetadata(correlation_id=uuid.uuid4(), causation_id=None, actor="system:bench")
    line = OrderLine(sku="BENCH-MUG", name="Mug", quantity=2, unit_price=Decimal("9.90"))
    started, written = time.perf_counter(), 0
    while written < total:
        order_id = uuid.uuid4()
        events = [OrderCreated(order_id=order_id, customer_id=str(written % 97), lines=(line,),
                               total=Decimal("19.80"), currency="EUR")]
        events += [OrderNoteAdded(order_id=order_id, text=f"note {n}", author="staff:1")
                   for n in range(EVENTS_PER_ORDER - 1)]
        encoded = []
        for event in events:
            event_type, data = store.registry.encode(event, subject=str(written % 97))
            encoded.append(NewEvent(uuid.uuid4(), event_type.name, 1, data, metadata))
        store.append(f"order-{order_id}", encoded, expected_version=NO_STREAM)
        written += len(encoded)
    note(f"filled the store with {written} events in {time.perf_counter() - started:.1f}s")


def measure_rebuild() -> None:
    """Blue/green rebuild of the order summaries from 0 vs reading the same events from $all."""
    from eventlog import connections
    from eventlog.subscriptions.rebuild import rebuild
    from projections.orders import OrderSummaryProjection

    store, projection = connections.event_store(), OrderSummaryProjection()
    started = time.perf_counter()
    read = sum(1 for _ in store.iter_all(stream_prefixes=projection.spec.filter_prefixes))
    raw_rate = read / (time.perf_counter() - started)
    started = time.perf_counter()
    result = rebuild(projection, store=store, redis_client=connections.redis(), cleanup="inline")
    rebuild_rate = result.done / (time.perf_counter() - started)
    note(f"$all read {read} events at {raw_rate:,.0f}/s; rebuild applied {result.done} at {rebuild_rate:,.0f}/s")
    emit("rebuild_orders_events_per_s", rebuild_rate, "events/s", baseline="all_read_same_filter_events_per_s",
         baseline_value=raw_rate, target=REBUILD_RATIO_TARGET)
    emit("rebuild_orders_events_per_s_absolute", rebuild_rate, "events/s", target=REBUILD_RATE_TARGET)


def start_worker() -> subprocess.Popen:
    """A real Celery worker (prefork, 2 processes), as `make run` starts it."""
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "prefork", "--concurrency", "2",
               "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel", "WARNING"]
    return subprocess.Popen(command, cwd=REPO_ROOT, env=os.environ.copy(), start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def percentile(samples: list[float], share: float) -> float:
    """The value below which `share` of the samples fall (nearest rank)."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def measure_latency() -> None:
    """Command accepted -> order summary updated: via a real worker, and in-process as the baseline."""
    from eventlog import connections
    from eventlog.subscriptions.consistency import wait_for_position
    from eventlog.subscriptions.runner import run_subscriber
    from orders.domain.commands import AddOrderNote
    from orders.domain.values import Actor
    from orders.handlers import dispatch
    from projections.orders import OrderSummaryProjection

    client, store, staff = connections.redis(), connections.event_store(), Actor.staff("1")
    # Each sample notes a different existing order, so no order's history grows with the sample count.
    order_ids = [uuid.UUID(e.aggregate_id) for e in store.read_all(event_types=["OrderCreated"],
                                                                    limit=3 * LATENCY_SAMPLES + 20)]

    def one_note(n: int) -> tuple[float, int]:
        order_id = order_ids.pop()
        started = time.perf_counter()
        result = dispatch(AddOrderNote(order_id=order_id, text=f"latency {n}"), actor=staff)
        return started, result.commit_position

    # Baseline: the same command and the same projection, applied in this process right away.
    from eventlog import hooks
    from projections.nudge import send_nudge

    hooks.remove(send_nudge)
    in_process = []
    for n in range(LATENCY_SAMPLES):
        started, position = one_note(n)
        run_subscriber(OrderSummaryProjection(), store=store, redis_client=client)
        assert wait_for_position(client, ["orders"], position, timeout=5)
        in_process.append((time.perf_counter() - started) * 1000)
    hooks.on_append(send_nudge)

    # The other subscribers (fulfillment, inventory, sales) would first work through the 100,000 bench
    # events; start them at the head so the figure is the latency of one new command.
    from eventlog.subscriptions import keys
    from eventlog.subscriptions.checkpoints import live_generation
    from eventlog.subscriptions.subscribers import all_subscribers

    head = store.head_position()
    for candidate in all_subscribers():
        name = candidate.spec.name
        if name != "orders":
            client.set(keys.checkpoint(name, live_generation(client, name)), head)
    worker = start_worker()
    try:
        time.sleep(3)  # let the worker connect before the clock starts
        for n in range(10):  # warm up
            _, position = one_note(n)
            wait_for_position(client, ["orders"], position, timeout=10)
        via_worker = []
        for n in range(LATENCY_SAMPLES):
            started, position = one_note(n)
            if not wait_for_position(client, ["orders"], position, timeout=10):
                raise RuntimeError("the worker did not project a command within 10 s")
            via_worker.append((time.perf_counter() - started) * 1000)
            time.sleep(0.01)  # commands arrive one after another, not in a burst
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=30)
    p50, p99 = percentile(via_worker, 0.5), percentile(via_worker, 0.99)
    base50, base99 = percentile(in_process, 0.5), percentile(in_process, 0.99)
    note(f"command -> read model: worker p50 {p50:.1f} ms p99 {p99:.1f} ms; in-process p50 {base50:.1f} "
         f"p99 {base99:.1f} ms; mean {statistics.fmean(via_worker):.1f} ms")
    emit("command_to_read_model_p50", p50, "ms", baseline="in_process_apply_p50", baseline_value=base50,
         higher_is_better=False)
    emit("command_to_read_model_p99", p99, "ms", baseline="in_process_apply_p99", baseline_value=base99,
         higher_is_better=False)
    emit("command_to_read_model_p50_target", p50, "ms", target=LATENCY_P50_TARGET_MS, higher_is_better=False)
    emit("command_to_read_model_p99_target", p99, "ms", target=LATENCY_P99_TARGET_MS, higher_is_better=False)


def main() -> None:
    with (tempfile.TemporaryDirectory(prefix="bench-projections-") as tmp,
          embedded_eventstore() as es_port,
          running(lambda port: redis_command(port), name="redis-projections") as redis_port):
        configure_django(es_port, redis_port, str(Path(tmp) / "db.sqlite3"))
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        fill_store(REBUILD_EVENTS)
        measure_rebuild()
        measure_latency()


if __name__ == "__main__":
    main()
