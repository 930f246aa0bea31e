"""Sustained intake: 50 clients creating orders through gunicorn; does fulfillment keep up?

Run from the repo root: `.venv/bin/python bench/intake.py [--seconds 60]`. Prints one JSON metric per
line (see bench/common.py); progress goes to stderr, service logs to var/bench/*.log.

It starts the product as production runs it, on free loopback ports: the embedded event store on
disk and a private Redis (in a temp dir under var/bench/), one Celery worker consuming every queue
(as `make run`; 2 prefork processes) and beat, and gunicorn from config/gunicorn.conf.py (2 threaded
workers), DEBUG off. 50 customers then create orders flat out (closed loop, POST /api/orders/) for
`--seconds`, while a watcher follows each accepted order in the orders read model until it is
CONFIRMED. Reported:

- accepted orders/s, and fulfillment decisions/s over the same window (orders created in the window
  and seen decided in the orders read model within it), with accepted/s as the baseline: the target is
  a ratio >= 1 (keeps up); and, to tell the process manager from the read side, the orders it decided
  in the store within the window (its checkpoint passed their creation's commit position), with each
  subscriber's lag when intake stops;
- the PENDING backlog when intake stops, against one second of intake (target: below it);
- order accepted (201) -> CONFIRMED visible in the read model: p50 and p99 (target p99 <= 1 s), over
  every accepted order (after intake stops the watcher waits up to --drain-seconds for the rest);
- errors (target 0).

Every load loop is bounded in requests and in time and targets 127.0.0.1 only.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import asyncio
import os
import tempfile
import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass, field

import aiohttp

from bench.common import BENCH_VAR, embedded_eventstore, emit, note, running
from bench.http_load import (
    CREATORS,
    HOST,
    REQUEST_TIMEOUT_SECONDS,
    Fixture,
    background,
    celery_commands,
    order_lines,
    percentile,
    product_environment,
    receive_stock,
    seed_database,
    wait_caught_up,
)
from config.devstack.local_services import redis_command

WORKERS = 2  # gunicorn processes; threads per process come from config/gunicorn.conf.py
CONFIRMED_P99_TARGET_MS = 1000.0
ERRORS_TARGET = 0
WATCH_INTERVAL = 0.05  # seconds between the watcher's rounds
# Orders looked at per round at most, oldest first: the watcher must not take the CPU the system it
# measures needs. Fulfillment decides in $all order, so the oldest outstanding orders are the ones
# being decided; with a backlog bigger than this, later orders are seen decided late (their figure
# is an upper bound).
WATCH_BATCH = 50
PENDING_LOOKAHEAD = 8  # pending orders a round looks past (a batch decides its orders concurrently)


def gunicorn_command(port: int) -> list[str]:
    """gunicorn as docker-compose.yml runs it (config/gunicorn.conf.py: gthread workers), on this port."""
    return [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py", "--bind", f"{HOST}:{port}",
            "--workers", str(WORKERS), "--no-control-socket", "config.wsgi:application"]


@dataclass
class Watcher:
    """Follows accepted orders in the orders read model: when each became visible as decided."""

    accepted: dict[str, float] = field(default_factory=dict)  # order id -> when its 201 arrived
    positions: dict[str, int] = field(default_factory=dict)  # order id -> the commit position of its creation
    decided: dict[str, float] = field(default_factory=dict)  # order id -> when the read model showed it decided
    statuses: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)

    def accept(self, order_id: str, *, position: int) -> None:
        """An order was accepted now; its creation is at `position` in the store."""
        with self.lock:
            self.accepted[order_id] = time.perf_counter()
            self.positions[order_id] = position

    def passed(self, checkpoint: int | None) -> int:
        """Accepted orders at or before `checkpoint` (those a subscriber at that checkpoint has handled)."""
        with self.lock:
            return sum(1 for position in self.positions.values() if checkpoint is not None and position <= checkpoint)

    def outstanding(self) -> list[str]:
        """Accepted orders not yet seen decided, oldest first."""
        with self.lock:
            return [order_id for order_id in self.accepted if order_id not in self.decided]

    def run(self) -> None:
        """Look up the outstanding orders round after round until told to stop."""
        from projections.selectors import get_order

        while not self.stop.is_set():
            still_pending = 0
            for order_id in self.outstanding()[:WATCH_BATCH]:
                summary = get_order(order_id)
                if summary is None or summary.status.value == "PENDING":
                    still_pending += 1
                    if still_pending > PENDING_LOOKAHEAD:
                        break  # decided roughly in order: younger ones are mostly pending too (rounds stay short)
                    continue
                with self.lock:
                    self.decided[order_id] = time.perf_counter()
                    self.statuses[order_id] = summary.status.value
            self.stop.wait(WATCH_INTERVAL)

    def decided_by(self, moment: float) -> int:
        """Orders seen decided at or before `moment`."""
        with self.lock:
            return sum(1 for when in self.decided.values() if when <= moment)


async def create_orders(fixture: Fixture, watcher: Watcher, *, seconds: float) -> tuple[int, dict[str, int], float]:
    """Every creator places orders one after another for `seconds`; (accepted, errors by kind, elapsed)."""
    errors: dict[str, int] = {}
    connector = aiohttp.TCPConnector(limit=CREATORS)
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_SECONDS)
    started = time.perf_counter()
    deadline = started + seconds

    async def creator(index: int, token: str) -> None:
        n = index
        headers = {"Authorization": f"Token {token}"}
        while time.perf_counter() < deadline:
            try:
                async with session.post("/api/orders/", json=order_lines(n), headers=headers) as response:
                    body = await response.json() if response.status == 201 else await response.read()
                    if response.status == 201:
                        watcher.accept(body["aggregate_id"], position=body["commit_position"])
                    else:
                        errors[f"HTTP {response.status}"] = errors.get(f"HTTP {response.status}", 0) + 1
            except (TimeoutError, aiohttp.ClientError) as error:
                errors[type(error).__name__] = errors.get(type(error).__name__, 0) + 1
            n += CREATORS

    async with aiohttp.ClientSession(base_url=fixture.base_url, connector=connector, timeout=timeout,
                                     cookie_jar=aiohttp.DummyCookieJar()) as session:
        await asyncio.gather(*(creator(i, token) for i, token in enumerate(fixture.creator_tokens)))
    return len(watcher.accepted), errors, time.perf_counter() - started


def note_lags() -> int | None:
    """Note each subscriber's lag behind the head (which is the bottleneck); returns fulfillment's checkpoint."""
    from eventlog import connections
    from eventlog.subscriptions.status import status
    from eventlog.subscriptions.subscribers import all_subscribers

    lags, checkpoint = [], None
    for subscriber in all_subscribers():
        try:
            state = status(subscriber, store=connections.event_store(), redis_client=connections.redis())
        except Exception as error:  # a diagnostic only: never fail the bench on it
            lags.append(f"{subscriber.spec.name} ? ({type(error).__name__})")
            continue
        lags.append(f"{state.name} {state.lag_display}")
        if state.name == "fulfillment":
            checkpoint = state.checkpoint
    note("events behind the head when intake stopped: " + ", ".join(lags))
    return checkpoint


def measure(fixture: Fixture, *, seconds: float, drain_seconds: float) -> None:
    """Intake for `seconds` with the watcher running, then drain; emit the figures."""
    watcher = Watcher()
    thread = threading.Thread(target=watcher.run, name="intake-watcher", daemon=True)
    thread.start()
    started = time.perf_counter()
    accepted, errors, elapsed = asyncio.run(create_orders(fixture, watcher, seconds=seconds))
    ended = started + elapsed
    time.sleep(3 * WATCH_INTERVAL)  # let the watcher finish the round that was under way
    decided_in_window = watcher.decided_by(ended)
    fulfillment_checkpoint = note_lags()
    # Decided in the store (the process manager's checkpoint passed the order: reserved and confirmed or
    # rejected), whether or not the orders read model shows it yet: tells fulfillment from the read side.
    decided_in_store = watcher.passed(fulfillment_checkpoint)
    backlog = accepted - decided_in_window
    intake_rate, decision_rate = accepted / elapsed, decided_in_window / elapsed
    note(f"{accepted} orders accepted in {elapsed:.1f}s ({intake_rate:.1f}/s), {decided_in_window} decided in the "
         f"window ({decision_rate:.1f}/s), {backlog} pending at the end; errors {errors or 0}; decided in the "
         f"store (fulfillment's checkpoint passed them): {decided_in_store} ({decided_in_store / elapsed:.1f}/s)")
    drain_deadline = time.monotonic() + drain_seconds
    while watcher.outstanding() and time.monotonic() < drain_deadline:
        time.sleep(0.1)
    drained = time.perf_counter() - ended
    watcher.stop.set()
    thread.join()
    left = len(watcher.outstanding())
    latencies = [(watcher.decided[order_id] - when) * 1000 for order_id, when in watcher.accepted.items()
                 if order_id in watcher.decided]
    # An order never seen decided counts as the longest wait of all, so it cannot flatter the p99.
    latencies += [float("inf")] * left
    rejected = sum(1 for status in watcher.statuses.values() if status != "CONFIRMED")
    p50, p99 = percentile(latencies, 0.5), percentile(latencies, 0.99)
    note(f"accepted -> decided visible: p50 {p50:.0f} ms, p99 {p99:.0f} ms; backlog drained in {drained:.1f}s, "
         f"{left} still pending after {drain_seconds:.0f}s; {rejected} not CONFIRMED (rejected)")
    emit("intake.accepted_orders_per_s", intake_rate, "orders/s")
    emit("intake.fulfillment_decisions_per_s", decision_rate, "orders/s", baseline="intake.accepted_orders_per_s",
         baseline_value=intake_rate, target=1.0)
    # The backlog against one second of intake: a ratio >= 1 means under a second's worth is left.
    emit("intake.fulfillment_decided_in_store_per_s", decided_in_store / elapsed, "orders/s",
         baseline="intake.accepted_orders_per_s", baseline_value=intake_rate, target=1.0)
    emit("intake.pending_at_end", backlog, "orders", baseline="one_second_of_intake", baseline_value=intake_rate,
         target=1.0, higher_is_better=False)
    emit("intake.accepted_to_confirmed_p50", p50, "ms")
    emit("intake.accepted_to_confirmed_p99", p99, "ms", target=CONFIRMED_P99_TARGET_MS, higher_is_better=False)
    emit("intake.errors", sum(errors.values()), "requests", target=ERRORS_TARGET, higher_is_better=False)
    emit("intake.not_confirmed", rejected + left, "orders", target=0, higher_is_better=False)


def per_queue_workers(tmp: Path) -> dict[str, list[str]]:
    """Beat and one single-process worker per role queue, the production shape (README, "Scaling out")."""
    base = [sys.executable, "-m", "celery", "-A", "config"]
    commands = {name: command for name, command in celery_commands(tmp).items() if "beat" in name}
    groups = {"projections": ["projections"], "fulfillment": ["fulfillment"], "notifications": ["notifications"],
              "other": ["nudges", "rebuilds", "celery"]}
    for role, queues in groups.items():
        commands[f"celery-worker-{role}-http"] = [*base, "worker", "--loglevel", "WARNING", "--concurrency", "1",
                                                  "-n", f"{role}@%h", "-Q", ",".join(queues)]
    return commands


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="seconds of intake by the 50 clients")
    parser.add_argument("--drain-seconds", type=float, default=60.0,
                        help="how long to follow the backlog after intake stops")
    parser.add_argument("--workers-per-queue", action="store_true",
                        help="one single-process worker per queue (projections, fulfillment, notifications, the "
                             "rest), as docker-compose runs them, instead of make run's one worker on every queue")
    parser.add_argument("--memory-store", action="store_true",
                        help="the event store in memory (no fsync per append), to see what durability costs")
    args = parser.parse_args(argv)
    BENCH_VAR.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        # On the real disk under var/ (not a tmpfs /tmp), so durable appends cost what they cost.
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="intake-", dir=BENCH_VAR)))
        data_dir = None if args.memory_store else tmp / "eventstore"
        es_port = stack.enter_context(embedded_eventstore(data_dir=data_dir, name="eventstore-intake"))
        redis_port = stack.enter_context(running(lambda port: redis_command(port), name="redis-intake"))
        os.environ.update(product_environment(eventstore_port=es_port, redis_port=redis_port, tmp=tmp))
        fixture = Fixture()
        seed_database(fixture)
        receive_stock()
        workers = per_queue_workers(tmp) if args.workers_per_queue else celery_commands(tmp)
        for name, command in workers.items():
            stack.enter_context(background(command, name=name.replace("-http", "-intake")))
        fixture.base_url = f"http://{HOST}:{stack.enter_context(running(gunicorn_command, name='gunicorn-intake'))}"
        if wait_caught_up() is None:
            raise RuntimeError("the read side did not catch up with the stock deliveries")
        measure(fixture, seconds=args.seconds, drain_seconds=args.drain_seconds)
        note("stopping gunicorn, Celery, Redis and the event store")
    return 0


if __name__ == "__main__":
    sys.exit(main())
