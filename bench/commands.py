"""Command throughput: dispatch() versus the eventsourcing library and raw store calls, and snapshot loads.

Run from the repo root: `.venv/bin/python bench/commands.py [--seconds S] [--rounds R]`. Prints one
JSON metric per line (see bench/common.py); progress goes to stderr. Starts its own embedded event
store (on disk) and Redis on free ports, and a throwaway SQLite catalogue.

The workload is "create an order, load it, confirm it", in interleaved turns on the same server:
- `dispatch`: dispatch(CreateOrder) as the customer, then dispatch(ConfirmOrder) as the system (its
  load reads the stream after the version this process last saw);
- `peer`: the same with the eventsourcing library + eventsourcing-eventstoredb (bench/peer_eventsourcing.py,
  run in var/bench/peer-venv, made on first run from bench/peer-requirements.txt: its client needs a
  grpcio that the project's esdbclient does not allow);
- `raw`: the same store calls through eventlog.store without the handler: append OrderCreated, read
  the stream, append OrderConfirmed.
And "create an order" alone: dispatch(CreateOrder) versus the raw append of the same OrderCreated.
Each with 1 and with 8 threads in one client process.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import hashlib
import json
import statistics
import subprocess
import tempfile
import time
import uuid
import venv
from decimal import Decimal

from bench.common import (
    BENCH_VAR,
    REPO_ROOT,
    ClientSpec,
    Load,
    Operation,
    Rate,
    embedded_eventstore,
    emit,
    note,
    run_schedule,
    running,
)
from bench.django_env import configure_django
from config.devstack.local_services import redis_command

SKUS = ("BENCH-MUG", "BENCH-TEE", "BENCH-CAP")
THREADS = (1, 8)
PEER_TARGET = 1.0  # dispatch at least as fast as the eventsourcing library, same workload and server
RAW_TARGET = 0.8  # dispatch >= 0.8 of the raw store calls of the same events, same layout
INVENTORY_EVENTS = 10_000
OPEN_RESERVATIONS = 20
SNAPSHOT_LOAD_TARGET_MS = 5.0
SNAPSHOT_SPEEDUP_TARGET = 50.0
PEER_REQUIREMENTS = REPO_ROOT / "bench" / "peer-requirements.txt"
PEER_VENV = BENCH_VAR / "peer-venv"
PEER_SCRIPT = REPO_ROOT / "bench" / "peer_eventsourcing.py"
PEER_START_TIMEOUT = 60.0


def create_order_command(index: int):
    """A CreateOrder of two lines, as a customer's checkout sends it."""
    from orders.domain.addresses import ShippingAddress
    from orders.domain.commands import CreateOrder, RequestedLine

    return CreateOrder(order_id=uuid.uuid4(), customer_id=str(index % 100 + 1),
                       lines=(RequestedLine(sku=SKUS[index % 3], quantity=2),
                              RequestedLine(sku=SKUS[(index + 1) % 3], quantity=1)),
                       shipping_address=ShippingAddress(recipient_name="Bench Customer", line1="1 Load Street",
                                                        city="Berlin", postal_code="10115", country="DE"),
                       contact_email=f"bench-{index % 100 + 1}@example.com")


def command_pair(index: int):
    """The workload's two commands for one order: create it (a customer), then confirm it (the system)."""
    from orders.domain.commands import ConfirmOrder

    create = create_order_command(index)
    return create, ConfirmOrder(order_id=create.order_id)


def workload_client(spec: ClientSpec) -> Operation:
    """One client process's operation for the target named in `spec` (one order per operation)."""
    if spec.target == "peer":
        return peer_client(spec)
    configure_django(*spec.params["ports"], spec.params["database"])
    return {"dispatch": dispatch_operation, "raw": raw_operation, "create": create_operation,
            "create-raw": create_raw_operation}[spec.target]()


def dispatch_operation() -> Operation:
    """Create, load and confirm one order through dispatch()."""
    from orders.domain.values import Actor
    from orders.handlers import dispatch

    system = Actor.system("bench")

    def operation(thread: int, deadline: float) -> int:
        create, confirm = command_pair(thread)
        dispatch(create, actor=Actor.customer(create.customer_id))
        dispatch(confirm, actor=system)
        return 1

    return operation


def create_operation() -> Operation:
    """Create one order through dispatch() (catalogue lookup, decide, append)."""
    from orders.domain.values import Actor
    from orders.handlers import dispatch

    def operation(thread: int, deadline: float) -> int:
        command = create_order_command(thread)
        dispatch(command, actor=Actor.customer(command.customer_id))
        return 1

    return operation


def _raw_tools():
    """The store, the catalogue's products (looked up once) and a function encoding one event to append."""
    from eventlog import connections
    from eventlog.envelope import EventMetadata, NewEvent
    from orders.catalogue import product_infos

    store = connections.event_store()

    def encoded(event: object, *, actor: str) -> NewEvent:
        # The same bytes dispatch writes: an order's personal fields sealed under its customer's key.
        event_type, data = store.registry.encode(event, subject=getattr(event, "customer_id", None))
        metadata = EventMetadata(correlation_id=uuid.uuid4(), causation_id=None, actor=actor)
        return NewEvent(uuid.uuid4(), event_type.name, event_type.schema_version, data, metadata)

    return store, product_infos(SKUS), encoded


def raw_operation() -> Operation:
    """The workload's store calls straight through eventlog.store: append, read the stream, append."""
    from eventlog.envelope import NO_STREAM
    from orders.domain.events import OrderConfirmed
    from orders.domain.order import Order
    from orders.domain.values import Actor

    store, products, encoded = _raw_tools()

    def operation(thread: int, deadline: float) -> int:
        command = create_order_command(thread)
        actor = Actor.customer(command.customer_id)
        [created] = Order.create(command, products=products, actor=actor).pending_events
        stream = f"order-{command.order_id}"
        store.append(stream, [encoded(created, actor=f"customer:{actor.id}")], expected_version=NO_STREAM)
        store.read_stream(stream, keep_unknown=True)
        store.append(stream, [encoded(OrderConfirmed(order_id=command.order_id), actor="system:bench")],
                     expected_version=0)
        return 1

    return operation


def create_raw_operation() -> Operation:
    """Append the OrderCreated that CreateOrder decides, straight through eventlog.store."""
    from eventlog.envelope import NO_STREAM
    from orders.domain.order import Order
    from orders.domain.values import Actor

    store, products, encoded = _raw_tools()

    def operation(thread: int, deadline: float) -> int:
        command = create_order_command(thread)
        actor = Actor.customer(command.customer_id)
        [created] = Order.create(command, products=products, actor=actor).pending_events
        store.append(f"order-{command.order_id}", [encoded(created, actor=f"customer:{actor.id}")],
                     expected_version=NO_STREAM)
        return 1

    return operation


def peer_client(spec: ClientSpec) -> Operation:
    """The peer in its own virtualenv and process; thread 0 runs each turn there, the others idle."""
    es_port = spec.params["ports"][0]
    process = subprocess.Popen(
        [str(PEER_VENV / "bin" / "python"), str(PEER_SCRIPT), "--url", f"esdb://127.0.0.1:{es_port}?Tls=false",
         "--threads", str(spec.load.threads)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=REPO_ROOT)
    assert process.stdin is not None and process.stdout is not None
    ready = process.stdout.readline()  # the client's start timeout bounds this wait
    if not ready.strip():
        raise RuntimeError(f"the peer exited before it was ready (code {process.wait()})")

    def operation(thread: int, deadline: float) -> int:
        if thread:  # the peer runs its own threads; ours only wait for the turn to end
            time.sleep(max(0.0, deadline - time.monotonic()))
            return 0
        process.stdin.write(json.dumps({"until": deadline}) + "\n")
        process.stdin.flush()
        return int(json.loads(process.stdout.readline())["orders"])

    return operation  # the peer exits when this process ends and its stdin closes


def ensure_peer_venv() -> bool:
    """Make var/bench/peer-venv from bench/peer-requirements.txt unless it is there already."""
    stamp = PEER_VENV / "requirements.sha256"
    wanted = hashlib.sha256(PEER_REQUIREMENTS.read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == wanted:
        return True
    note(f"creating the peer's virtualenv in {PEER_VENV.relative_to(REPO_ROOT)} (first run only)")
    venv.create(PEER_VENV, clear=True, with_pip=True)
    installed = subprocess.run([str(PEER_VENV / "bin" / "python"), "-m", "pip", "install", "-q",
                                "-r", str(PEER_REQUIREMENTS)], check=False)
    if installed.returncode != 0:
        note("could not install the peer (no package index?): the peer comparison is left out")
        return False
    stamp.write_text(wanted)
    return True


def schedule_for(targets: list[str], rounds: int) -> list[str]:
    """Interleaved turns: each round runs every target, every other round in reverse order."""
    turns: list[str] = []
    for index in range(rounds):
        turns += targets if index % 2 == 0 else list(reversed(targets))
    return turns


def seed_catalogue() -> None:
    """Migrate the throwaway database and add the products the orders use."""
    from django.core.management import call_command

    from orders.models import Product

    call_command("migrate", verbosity=0)
    for sku in SKUS:
        Product.objects.get_or_create(sku=sku, defaults={"name": sku.title(), "unit_price": Decimal("9.90")})


def measure_commands(params: dict, *, seconds: float, rounds: int, with_peer: bool) -> None:
    """The workload through dispatch, the peer and raw store calls; CreateOrder alone against its raw append."""
    targets = (["peer"] if with_peer else []) + ["dispatch", "raw", "create", "create-raw"]
    for threads in THREADS:
        load = Load(processes=1, threads=threads, seconds=seconds)
        rates = run_schedule(workload_client, {name: name for name in targets}, schedule_for(targets, rounds),
                             load, **params)
        label = f"{threads}t"
        note(f"{threads} thread(s): " + ", ".join(f"{name} {rate.per_second:.0f}/s {_turns(rate)}"
                                                  for name, rate in rates.items()))
        # Turns of one round ran seconds apart, under much the same outside load: their ratios are steadier.
        pairs = [("dispatch", "peer")] if with_peer else []
        pairs += [("dispatch", "raw"), ("create", "create-raw")]
        note(f"{threads} thread(s), median of the per-round ratios: " + ", ".join(
            f"{a}/{b} {statistics.median(x / y for x, y in zip(rates[a].turns, rates[b].turns, strict=True) if y):.2f}"
            for a, b in pairs))
        dispatched = rates["dispatch"].per_second
        if with_peer:
            emit(f"order_workload_dispatch_vs_peer_{label}", dispatched, "orders/s",
                 baseline=f"eventsourcing_peer_{label}", baseline_value=rates["peer"].per_second,
                 target=PEER_TARGET)
        emit(f"order_workload_dispatch_vs_raw_{label}", dispatched, "orders/s", baseline=f"raw_store_calls_{label}",
             baseline_value=rates["raw"].per_second, target=RAW_TARGET)
        emit(f"create_order_dispatch_{label}", rates["create"].per_second, "commands/s",
             baseline=f"raw_append_{label}", baseline_value=rates["create-raw"].per_second, target=RAW_TARGET)


def _turns(rate: Rate) -> str:
    return "(turns " + " ".join(f"{turn:.0f}" for turn in rate.turns) + ")"


def measure_snapshot_loads() -> None:
    """Load time of an inventory with 10,000 events, with and without its snapshot."""
    from eventlog import connections
    from eventlog.envelope import EventMetadata, NewEvent
    from orders.domain.events import StockReceived, StockReserved, StockShipped
    from orders.domain.inventory import Inventory
    from orders.repository import AggregateRepository

    store, sku = connections.event_store(), f"BENCH-{uuid.uuid4().hex[:8].upper()}"
    metadata = EventMetadata(correlation_id=uuid.uuid4(), causation_id=None, actor="system:bench")
    # A busy sku's life: each order reserves, and a little later its stock ships (about 20 open at once).
    events: list = [StockReceived(sku=sku, quantity=INVENTORY_EVENTS * 2)]
    orders: list[uuid.UUID] = []
    while len(events) < INVENTORY_EVENTS:
        orders.append(uuid.uuid4())
        events.append(StockReserved(sku=sku, order_id=orders[-1], quantity=1))
        if len(orders) > OPEN_RESERVATIONS and len(events) < INVENTORY_EVENTS:
            events.append(StockShipped(sku=sku, order_id=orders[-OPEN_RESERVATIONS - 1], quantity=1))
    for start in range(0, INVENTORY_EVENTS, 500):
        chunk = []
        for event in events[start:start + 500]:
            event_type, data = store.registry.encode(event)
            chunk.append(NewEvent(uuid.uuid4(), event_type.name, 1, data, metadata))
        store.append(f"inventory-{sku}", chunk, expected_version=start - 1)
    repository = AggregateRepository(store)
    repository.write_snapshot(repository.load(Inventory, sku, use_snapshots=False).aggregate)

    def median_ms(use_snapshots: bool, runs: int) -> float:
        timings = []
        for _ in range(runs):
            started = time.perf_counter()
            loaded = repository.load(Inventory, sku, use_snapshots=use_snapshots)
            timings.append((time.perf_counter() - started) * 1000)
            assert loaded.aggregate.version == INVENTORY_EVENTS - 1
        return statistics.median(timings)

    full, snap = median_ms(False, 7), median_ms(True, 51)
    note(f"inventory of {INVENTORY_EVENTS} events: full replay {full:.1f} ms, from snapshot {snap:.2f} ms")
    # Ratio = full replay / snapshot load, i.e. the speed-up (lower is better for times).
    emit("inventory_load_with_snapshot", snap, "ms", baseline="inventory_load_full_replay", baseline_value=full,
         target=SNAPSHOT_SPEEDUP_TARGET, higher_is_better=False)
    emit("inventory_load_with_snapshot_absolute", snap, "ms", target=SNAPSHOT_LOAD_TARGET_MS,
         higher_is_better=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="length of one turn")
    parser.add_argument("--rounds", type=int, default=8, help="turns of each target per layout")
    parser.add_argument("--no-peer", action="store_true", help="leave the eventsourcing peer out")
    args = parser.parse_args()
    with_peer = not args.no_peer and ensure_peer_venv()
    with (tempfile.TemporaryDirectory(prefix="bench-commands-") as tmp,
          embedded_eventstore(data_dir=Path(tmp) / "es") as es_port,
          running(lambda port: redis_command(port), name="redis") as redis_port):
        database = str(Path(tmp) / "catalogue.sqlite3")
        configure_django(es_port, redis_port, database)
        seed_catalogue()
        measure_commands({"ports": (es_port, redis_port), "database": database}, seconds=args.seconds,
                         rounds=args.rounds, with_peer=with_peer)
        measure_snapshot_loads()


if __name__ == "__main__":
    main()
