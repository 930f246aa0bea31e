"""Command throughput through dispatch() versus raw appends of the same events, and snapshot loads.

Run from the repo root: `.venv/bin/python bench/commands.py`. Prints one JSON metric per line
(see bench/common.py); progress goes to stderr. Starts its own embedded event store (on disk)
and Redis on free ports, and a throwaway SQLite catalogue.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import statistics
import tempfile
import time
import uuid
from decimal import Decimal

from bench.common import ClientSpec, Load, Operation, embedded_eventstore, emit, note, run_clients, running
from bench.django_env import configure_django
from config.devstack.local_services import redis_command

SKUS = ("BENCH-MUG", "BENCH-TEE", "BENCH-CAP")
LAYOUTS = (Load(processes=1, threads=1, seconds=6.0), Load(processes=4, threads=4, seconds=6.0))
DISPATCH_TARGET = 0.7  # dispatch >= 0.7 of raw appends of the same events, same layout
INVENTORY_EVENTS = 10_000
OPEN_RESERVATIONS = 20
SNAPSHOT_LOAD_TARGET_MS = 5.0
SNAPSHOT_SPEEDUP_TARGET = 50.0


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


def dispatch_client(spec: ClientSpec) -> Operation:
    """Each operation dispatches one CreateOrder (catalogue lookup, load, decide, append)."""
    configure_django(*spec.params["ports"], spec.params["database"])
    from orders.domain.values import Actor
    from orders.handlers import dispatch

    def operation(thread: int, deadline: float) -> int:
        command = create_order_command(thread)
        dispatch(command, actor=Actor.customer(command.customer_id))
        return 1

    return operation


def raw_append_client(spec: ClientSpec) -> Operation:
    """Each operation appends the same OrderCreated event straight through the store module."""
    configure_django(*spec.params["ports"], spec.params["database"])
    from eventlog import connections
    from eventlog.envelope import NO_STREAM, EventMetadata, NewEvent
    from orders.catalogue import product_infos
    from orders.domain.order import Order
    from orders.domain.values import Actor

    store = connections.event_store()
    products = product_infos(SKUS)

    def operation(thread: int, deadline: float) -> int:
        command = create_order_command(thread)
        actor = Actor.customer(command.customer_id)
        [event] = Order.create(command, products=products, actor=actor).pending_events
        event_type, data = store.registry.encode(event)
        metadata = EventMetadata(correlation_id=uuid.uuid4(), causation_id=None, actor="customer:1")
        store.append(f"order-{command.order_id}", [NewEvent(uuid.uuid4(), event_type.name, 1, data, metadata)],
                     expected_version=NO_STREAM)
        return 1

    return operation


def seed_catalogue() -> None:
    """Migrate the throwaway database and add the products the orders use."""
    from django.core.management import call_command

    from orders.models import Product

    call_command("migrate", verbosity=0)
    for sku in SKUS:
        Product.objects.get_or_create(sku=sku, defaults={"name": sku.title(), "unit_price": Decimal("9.90")})


def measure_commands(params: dict) -> None:
    """CreateOrder through dispatch vs raw appends, per layout (raw first, then dispatch, then raw)."""
    for load in LAYOUTS:
        raw_first = run_clients(raw_append_client, "raw", load, **params).per_second
        dispatched = run_clients(dispatch_client, "dispatch", load, **params).per_second
        raw_again = run_clients(raw_append_client, "raw", load, **params).per_second
        raw = (raw_first + raw_again) / 2
        note(f"{load.label}: dispatch {dispatched:.0f}/s, raw {raw_first:.0f}/s and {raw_again:.0f}/s")
        emit(f"create_order_dispatch_{load.label}", dispatched, "commands/s", baseline=f"raw_append_{load.label}",
             baseline_value=raw, target=DISPATCH_TARGET)


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
    with (tempfile.TemporaryDirectory(prefix="bench-commands-") as tmp,
          embedded_eventstore(data_dir=Path(tmp) / "es") as es_port,
          running(lambda port: redis_command(port), name="redis") as redis_port):
        database = str(Path(tmp) / "catalogue.sqlite3")
        configure_django(es_port, redis_port, database)
        seed_catalogue()
        measure_commands({"ports": (es_port, redis_port), "database": database})
        measure_snapshot_loads()


if __name__ == "__main__":
    main()
