"""Command accepted -> visible in the orders read model, with a real Celery worker: fan-out vs one serial task.

Run from the repo root: `.venv/bin/python bench/latency.py [--samples 100] [--turns 2]`. Prints one JSON
metric per line (see bench/common.py); progress goes to stderr, the workers' logs to var/bench/.

It starts its own embedded event store (in memory) and Redis on free ports. Each turn starts a fresh
worker as `make run` does (one worker, every queue, 2 prefork processes) in one nudge mode and sends
orders one after another (CreateOrder, as a customer does; the fulfillment process manager reserves
and confirms each one, so the worker has its real work to do), timing each from when
`dispatch` returned (the command accepted) until the orders read model's checkpoint has passed the
command's position (Redis pub/sub, no polling); dispatch's own time is reported beside it. Modes, in interleaved turns:

- `fanout` (the product's default): the nudge sends one catch-up message per subscriber to its queue,
  so the orders projection runs at once, beside the other read models and the process manager;
- `serial` (the baseline, the path before queues per role): one message runs the four subscribers
  one after another in one task.

Targets: p50 <= 20 ms, p99 <= 100 ms (fan-out), and fan-out's ratio to serial.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import os
import signal
import subprocess
import tempfile
import time
import uuid
from contextlib import ExitStack
from decimal import Decimal

from bench.common import BENCH_VAR, REPO_ROOT, embedded_eventstore, emit, note, running
from bench.django_env import configure_django
from config.devstack.local_services import redis_command

P50_TARGET_MS = 20.0
P99_TARGET_MS = 100.0
SKU = "BENCH-LATENCY"
PAUSE_SECONDS = 0.01  # between commands: they arrive one after another, not in a burst
WARM_UP = 10
VISIBLE_TIMEOUT = 10.0


def percentile(samples: list[float], share: float) -> float:
    """The value below which `share` of the samples fall (nearest rank)."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def start_worker(mode: str, turn: int, concurrency: int) -> subprocess.Popen:
    """A real Celery worker as `make run` starts it (every queue, prefork), in this nudge mode."""
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "prefork",
               "--concurrency", str(concurrency),
               "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel", "WARNING"]
    log = open(BENCH_VAR / f"celery-latency-{mode}-{turn}.log", "wb")  # noqa: SIM115 - the worker keeps it
    return subprocess.Popen(command, cwd=REPO_ROOT, env={**os.environ, "PROJECTIONS_NUDGE": mode},
                            start_new_session=True, stdout=log, stderr=subprocess.STDOUT)


def stop_worker(worker: subprocess.Popen) -> None:
    """SIGTERM the worker's process group (warm shutdown), SIGKILL it if it lingers."""
    os.killpg(worker.pid, signal.SIGTERM)
    try:
        worker.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()


def seed() -> None:
    """A product and plenty of its stock, so every order is confirmed."""
    from django.core.management import call_command

    from orders.domain.commands import ReceiveStock
    from orders.domain.values import Actor
    from orders.handlers import dispatch
    from orders.models import Product

    call_command("migrate", verbosity=0)
    Product.objects.create(sku=SKU, name="Latency mug", unit_price=Decimal("9.90"))
    dispatch(ReceiveStock(sku=SKU, quantity=1_000_000), actor=Actor.system("bench"))


def one_order(n: int) -> tuple[float, float]:
    """Place one order; milliseconds from accepted (dispatch returned) until the orders read model shows it,
    and the milliseconds dispatch took."""
    from eventlog import connections
    from eventlog.subscriptions.consistency import wait_for_position
    from orders.domain.commands import CreateOrder, RequestedLine
    from orders.domain.values import Actor
    from orders.handlers import dispatch

    customer = str(n % 50)
    started = time.perf_counter()
    result = dispatch(CreateOrder(order_id=uuid.uuid4(), customer_id=customer,
                                  lines=(RequestedLine(sku=SKU, quantity=1),)), actor=Actor.customer(customer))
    accepted = time.perf_counter()
    if not wait_for_position(connections.redis(), ["orders"], result.commit_position, timeout=VISIBLE_TIMEOUT):
        raise RuntimeError(f"the worker did not project a command within {VISIBLE_TIMEOUT:.0f} s")
    return (time.perf_counter() - accepted) * 1000, (accepted - started) * 1000


def measure_turn(mode: str, turn: int, samples: int, concurrency: int) -> tuple[list[float], list[float]]:
    """One worker in `mode`; accepted -> visible and dispatch times of `samples` orders placed one after another."""
    from django.conf import settings

    settings.PROJECTIONS_NUDGE = mode  # this process publishes the nudges of its commands
    worker = start_worker(mode, turn, concurrency)
    try:
        _wait_ready()
        for n in range(WARM_UP):
            one_order(n)
        latencies, dispatches = [], []
        for n in range(samples):
            latency, dispatched = one_order(n)
            latencies.append(latency)
            dispatches.append(dispatched)
            time.sleep(PAUSE_SECONDS)
    finally:
        stop_worker(worker)
    note(f"{mode:6} turn {turn}: accepted -> visible p50 {percentile(latencies, 0.5):.1f} ms, p99 "
         f"{percentile(latencies, 0.99):.1f} ms, max {max(latencies):.1f} ms; dispatch p50 "
         f"{percentile(dispatches, 0.5):.1f} ms")
    return latencies, dispatches


def _wait_ready(timeout: float = 60.0) -> None:
    """Until a freshly started worker projects an order (a nudge sent before it listened may have expired)."""
    from eventlog import connections
    from eventlog.subscriptions.consistency import wait_for_position
    from orders.domain.commands import CreateOrder, RequestedLine
    from orders.domain.values import Actor
    from orders.handlers import dispatch

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = dispatch(CreateOrder(order_id=uuid.uuid4(), customer_id="0",
                                      lines=(RequestedLine(sku=SKU, quantity=1),)), actor=Actor.customer("0"))
        if wait_for_position(connections.redis(), ["orders"], result.commit_position, timeout=2.0):
            return
    raise RuntimeError(f"the worker did not start projecting within {timeout:.0f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=100, help="orders per turn")
    parser.add_argument("--turns", type=int, default=2, help="turns per mode (interleaved)")
    parser.add_argument("--concurrency", type=int, default=2, help="the worker's processes (make run: 2)")
    args = parser.parse_args(argv)
    BENCH_VAR.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-latency-")))
        es_port = stack.enter_context(embedded_eventstore(name="eventstore-latency"))
        redis_port = stack.enter_context(running(lambda port: redis_command(port), name="redis-latency"))
        configure_django(es_port, redis_port, str(tmp / "db.sqlite3"))
        seed()
        latencies: dict[str, list[float]] = {"serial": [], "fanout": []}
        dispatches: list[float] = []
        schedule = [("serial", "fanout"), ("fanout", "serial")]
        for turn in range(args.turns):
            for mode in schedule[turn % 2]:
                turn_latencies, turn_dispatches = measure_turn(mode, turn, args.samples, args.concurrency)
                latencies[mode] += turn_latencies
                dispatches += turn_dispatches
    fan, serial = latencies["fanout"], latencies["serial"]
    emit("latency.dispatch_create_order_p50", percentile(dispatches, 0.5), "ms")
    for label, share, target in (("p50", 0.5, P50_TARGET_MS), ("p99", 0.99, P99_TARGET_MS)):
        value, baseline = percentile(fan, share), percentile(serial, share)
        note(f"command -> orders read model {label}: fan-out {value:.1f} ms, serial {baseline:.1f} ms "
             f"({len(fan)} and {len(serial)} orders)")
        emit(f"latency.command_to_read_model_{label}", value, "ms", baseline=f"latency.serial_{label}",
             baseline_value=baseline, higher_is_better=False)
        emit(f"latency.command_to_read_model_{label}_target", value, "ms", target=target, higher_is_better=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
