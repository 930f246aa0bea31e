"""Event store throughput: the embedded server against a do-nothing gRPC stub, same esdbclient clients.

Run from the repo root: `.venv/bin/python bench/eventstore.py [--seconds 5] [--self-check]`.
Prints one JSON metric per line (see bench/common.py); progress and per-turn rates go to stderr.

The embedded server runs durably (SQLite under var/bench/, removed afterwards) and is filled
with 16,000 `order-` events and 4,000 others in batches. Then, against it and against
bench/stub_eventstore.py (which stores nothing, so it shows the cost of gRPC and esdbclient
alone), the same client layouts measure: a `$all` read with a stream-prefix filter, a filtered
catch-up subscription, single-event appends from 1 writer and from 16 writers in 4 processes,
the same from 1 writer through the Append rpc, and batch appends of 100. `--self-check` puts a
second stub in the embedded server's place: its ratios show the noise of the machine.
"""
from __future__ import annotations

import sys
from pathlib import Path

# Scripts run as `python bench/x.py`, so make the repo root importable (for bench.* and eventlog.*).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import re
import tempfile
import time
import uuid
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from typing import Any

from esdbclient import CaughtUp, EventStoreDBClient, NewEvent, StreamState

from bench.common import (
    BENCH_VAR,
    BenchError,
    ClientFactory,
    ClientSpec,
    Load,
    Operation,
    Rate,
    embedded_eventstore,
    emit,
    note,
    run_clients,
    run_schedule,
    running,
)
from bench.stub_eventstore import sample_payload, stub_command

PREFIX = "order-"  # the streams the filtered reads want
NOISE_PREFIX = "inventory-"  # other streams in $all that the server-side filter must skip
APPEND_PREFIX = "bench-"  # streams the append measurements write (after the reads, so reads are stable)
MATCHING_EVENTS = 16_000
NOISE_EVERY = 5  # one populate batch in five goes to a noise stream: 16,000 matching + 4,000 noise
POPULATE_BATCH = 100
POPULATE_BATCHES = MATCHING_EVENTS // POPULATE_BATCH * NOISE_EVERY // (NOISE_EVERY - 1)
POPULATE_LOAD = Load(processes=2, threads=2, seconds=60.0, max_ops=POPULATE_BATCHES // 4)  # 50 batches each
# An order stream lives for a handful of events (created, confirmed, paid, shipped, delivered);
# single-event writers move on to a fresh stream after this many, as the product's handlers do.
EVENTS_PER_ORDER = 5
BATCH = 100
APPEND_TARGET = 0.6  # appends >= 0.6 of the stub for the same layout (the target)
READ_TARGET = 0.7  # $all reads >= 0.7 of the stub's streaming rate
# Hard gRPC deadline past a measurement's own deadline: a stuck stream fails instead of hanging.
STREAM_GRACE_SECONDS = 20.0
# The same client processes alternate between the servers in short turns (A B B A, eight times),
# so background load on a shared machine falls on both alike; each side gets --seconds in all.
TURNS = ("stub", "embedded", "embedded", "stub") * 8
# Same filter shape as eventlog.store builds for stream prefixes.
PREFIX_FILTER = {"filter_include": [f"(?:{re.escape(PREFIX)}.*)"], "filter_by_stream_name": True}


def connect(target: str) -> EventStoreDBClient:
    """An esdbclient client with an open channel, so connecting is not timed."""
    client = EventStoreDBClient(uri=f"esdb://{target}?Tls=false")
    client.get_current_version(f"{APPEND_PREFIX}warmup-{uuid.uuid4()}")  # a cheap round trip
    return client


@dataclass
class _StreamCursor:
    """Where one writer thread is: its current stream and how many events it holds."""

    stream: str = ""
    written: int = 0

    @property
    def current_version(self) -> int | StreamState:
        """The expected version for the next append (never "any", as in the product)."""
        return StreamState.NO_STREAM if self.written == 0 else self.written - 1


def appender(spec: ClientSpec) -> Operation:
    """Append `batch` events per call, each thread to its own streams, with expected versions.

    Events go as a list, as eventlog.store sends them, which esdbclient turns into a BatchAppend
    rpc even for one event; `single_rpc` sends one bare event instead, which uses the Append rpc.
    """
    client = connect(spec.target)
    batch: int = spec.params["batch"]
    single_rpc: bool = spec.params.get("single_rpc", False)
    per_stream = max(batch, EVENTS_PER_ORDER)
    data, metadata = sample_payload(spec.process)
    cursors = [_StreamCursor() for _ in range(spec.load.threads)]

    def append(thread: int, deadline: float) -> int:
        cursor = cursors[thread]
        if not cursor.stream or cursor.written >= per_stream:
            cursor.stream, cursor.written = f"{APPEND_PREFIX}{uuid.uuid4()}", 0
        events = [NewEvent(type="OrderCreated", data=data, metadata=metadata) for _ in range(batch)]
        client.append_to_stream(cursor.stream, current_version=cursor.current_version,
                                events=events[0] if single_rpc else events)
        cursor.written += batch
        return batch

    return append


def populator(spec: ClientSpec) -> Operation:
    """Fill $all with order streams and some noise; returns the order events written."""
    client = connect(spec.target)
    data, metadata = sample_payload(spec.process)
    done = [0] * spec.load.threads

    def populate(thread: int, deadline: float) -> int:
        done[thread] += 1
        noise = done[thread] % NOISE_EVERY == 0
        stream = f"{NOISE_PREFIX if noise else PREFIX}{uuid.uuid4()}"
        events = [NewEvent(type="StockReserved" if noise else "OrderCreated", data=data, metadata=metadata)
                  for _ in range(POPULATE_BATCH)]
        client.append_to_stream(stream, current_version=StreamState.NO_STREAM, events=events)
        return 0 if noise else POPULATE_BATCH

    return populate


def all_reader(spec: ClientSpec) -> Operation:
    """Read $all from the start with the prefix filter, as far as the deadline allows."""
    client = connect(spec.target)

    def read(thread: int, deadline: float) -> int:
        count = 0
        timeout = deadline - time.monotonic() + STREAM_GRACE_SECONDS
        with client.read_all(timeout=timeout, **PREFIX_FILTER) as events:
            for _ in events:
                count += 1
                if count % 256 == 0 and time.monotonic() >= deadline:
                    break
        return count

    return read


def catchup_subscriber(spec: ClientSpec) -> Operation:
    """Subscribe to $all with the prefix filter from the start until caught up (or all expected seen)."""
    client = connect(spec.target)
    expected: int = spec.params["expected"]

    def catch_up(thread: int, deadline: float) -> int:
        count = 0
        timeout = deadline - time.monotonic() + STREAM_GRACE_SECONDS
        with client.subscribe_to_all(include_caught_up=True, timeout=timeout, **PREFIX_FILTER) as events:
            for event in events:
                if isinstance(event, CaughtUp):
                    break
                count += 1
                # Without a caught-up message from the server, knowing how many exist still ends it.
                if count >= expected or (count % 256 == 0 and time.monotonic() >= deadline):
                    break
        return count

    return catch_up


@dataclass(frozen=True)
class Measurement:
    """One figure: a client workload and layout, run against the stub and the embedded server."""

    name: str
    unit: str
    factory: ClientFactory
    load: Load
    target: float | None
    params: dict[str, Any] = field(default_factory=dict)


def measurements(*, seconds: float, matching: int) -> list[Measurement]:
    """Reads first (while $all holds exactly the populated events), then the appends."""
    return [
        Measurement("read_all_prefix_filter", "events/s", all_reader,
                    Load(1, 1, seconds, max_ops=1_000), READ_TARGET),
        # The issue sets no target for subscriptions; the ratio is reported for information.
        Measurement("catchup_subscription", "events/s", catchup_subscriber,
                    Load(1, 1, seconds, max_ops=1_000), None, {"expected": matching}),
        Measurement("append.writers_1", "appends/s", appender,
                    Load(1, 1, seconds, max_ops=100_000), APPEND_TARGET, {"batch": 1}),
        Measurement("append.writers_16_procs_4", "appends/s", appender,
                    Load(4, 4, seconds, max_ops=100_000), APPEND_TARGET, {"batch": 1}),
        # esdbclient's other append path (Append rpc), which the product does not take today.
        Measurement("append_rpc.writers_1", "appends/s", appender,
                    Load(1, 1, seconds, max_ops=100_000), APPEND_TARGET, {"batch": 1, "single_rpc": True}),
        Measurement(f"batch_append_{BATCH}.writers_1", "events/s", appender,
                    Load(1, 1, seconds, max_ops=10_000), APPEND_TARGET, {"batch": BATCH}),
    ]


def measure_alone(measurement: Measurement, target: str, *, role: str) -> Rate | None:
    """Run one measurement against one server only; None (and a note) if it failed."""
    try:
        return run_clients(measurement.factory, target, measurement.load, **measurement.params)
    except BenchError as error:
        note(f"{role} {measurement.name} failed: {error}")
        return None


def populate(target: str) -> int:
    """Write the read fixture into the embedded server; the number of matching events."""
    started = time.monotonic()
    rate = run_clients(populator, target, POPULATE_LOAD)
    note(f"populated {rate.items} {PREFIX}* events (+ noise) in {time.monotonic() - started:.1f}s")
    if rate.items < MATCHING_EVENTS:
        note(f"population stopped early: {rate.items} of {MATCHING_EVENTS} matching events")
    return rate.items


def compare(measurement: Measurement, *, servers: dict[str, str]) -> bool:
    """Measure stub and embedded in interleaved turns, emit both; False if either failed."""
    turn = replace(measurement.load, seconds=measurement.load.seconds * len(servers) / len(TURNS))
    try:
        rates: dict[str, Rate | None] = dict(
            run_schedule(measurement.factory, servers, TURNS, turn, **measurement.params))
    except BenchError as error:
        # Say which side is broken, and keep the figure of the one that works.
        note(f"{measurement.name} failed in turns ({error}); measuring each server alone")
        rates = {role: measure_alone(measurement, target, role=role) for role, target in servers.items()}
    for role, rate in rates.items():
        if rate is not None:
            spread = " ".join(f"{value:.0f}" for value in rate.turns)
            note(f"{role:8} {measurement.name:28} {rate.per_second:9.1f} {measurement.unit:9}"
                 f" {measurement.load.label} turns: {spread}")
    baseline, value = rates["stub"], rates["embedded"]
    baseline_metric = f"eventstore.stub.{measurement.name}"
    if baseline is not None:
        emit(baseline_metric, baseline.per_second, measurement.unit)
    if value is not None:
        emit(f"eventstore.{measurement.name}", value.per_second, measurement.unit,
             baseline=baseline_metric, baseline_value=None if baseline is None else baseline.per_second,
             target=measurement.target)
    return baseline is not None and value is not None


def start_server_under_test(stack: ExitStack, *, self_check: bool) -> int:
    """Start the embedded server on disk (or, with --self-check, a second stub); its port."""
    if self_check:
        return stack.enter_context(running(
            lambda port: stub_command(port, events=MATCHING_EVENTS, prefix=PREFIX), name="stub-as-embedded"))
    BENCH_VAR.mkdir(parents=True, exist_ok=True)
    # On the real disk under var/ (not a tmpfs /tmp), so durable writes cost what they cost.
    data_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="eventstore-", dir=BENCH_VAR)))
    return stack.enter_context(embedded_eventstore(data_dir=data_dir))


def main(argv: list[str] | None = None) -> int:
    """Run every comparison; exit 1 if any measurement failed (targets missed are only reported)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0,
                        help="measured seconds per figure and server (split into turns)")
    parser.add_argument("--self-check", action="store_true",
                        help="put a second stub in the embedded server's place (ratios should be ~1)")
    args = parser.parse_args(argv)
    ok = True
    with ExitStack() as stack:
        embedded = f"127.0.0.1:{start_server_under_test(stack, self_check=args.self_check)}"
        matching = populate(embedded)
        stub_port = stack.enter_context(running(
            lambda port: stub_command(port, events=matching, prefix=PREFIX), name="stub-eventstore"))
        for measurement in measurements(seconds=args.seconds, matching=matching):
            servers = {"stub": f"127.0.0.1:{stub_port}", "embedded": embedded}
            ok = compare(measurement, servers=servers) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
