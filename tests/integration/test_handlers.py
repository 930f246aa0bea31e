"""dispatch() against the real embedded event store: conflicts, idempotency, snapshots, time travel."""
from __future__ import annotations

import threading
from decimal import Decimal
from uuid import uuid4

import pytest

from eventlog.errors import ConcurrencyError, StreamNotFoundError
from eventlog.store import EventStore
from orders.domain.commands import (
    AddOrderNote,
    CreateOrder,
    PayOrder,
    ReceiveStock,
    RequestedLine,
    ReserveStock,
)
from orders.domain.errors import (
    InactiveProductError,
    InsufficientStockError,
    UnknownProductError,
)
from orders.domain.events import OrderCreated, StockReserved
from orders.domain.inventory import Inventory
from orders.domain.order import Order
from orders.domain.values import Actor
from orders.handlers import dispatch
from orders.idempotency import IdempotencyKey, IdempotencyKeyReusedError
from orders.models import Product
from orders.repository import AggregateRepository, snapshot_stream

pytestmark = pytest.mark.django_db(transaction=True)

STAFF = Actor.staff("1")
SYSTEM = Actor("system", "tests")


@pytest.fixture
def products(unique):
    mug = Product.objects.create(sku=f"MUG-{unique}".upper(), name="Mug", unit_price=Decimal("12.50"))
    tee = Product.objects.create(sku=f"TEE-{unique}".upper(), name="Tee", unit_price=Decimal("19.90"))
    old = Product.objects.create(sku=f"OLD-{unique}".upper(), name="Old", unit_price=Decimal("1.00"), active=False)
    return mug, tee, old


def create_order(customer: Actor, *lines: tuple[str, int], **kwargs) -> tuple:
    order_id = uuid4()
    command = CreateOrder(order_id=order_id, customer_id=customer.id,
                          lines=tuple(RequestedLine(sku=sku, quantity=qty) for sku, qty in lines))
    return order_id, dispatch(command, actor=customer, **kwargs)


def test_create_order_prices_lines_from_the_catalogue(app_store: EventStore, products):
    mug, tee, _ = products
    customer = Actor.customer("42")

    order_id, result = create_order(customer, (mug.sku, 2), (tee.sku, 1))

    [created] = result.events
    assert isinstance(created, OrderCreated)
    assert [(line.sku, line.unit_price) for line in created.lines] == [(mug.sku, Decimal("12.50")),
                                                                         (tee.sku, Decimal("19.90"))]
    assert created.total == Decimal("44.90")
    assert (result.stream_name, result.new_version) == (f"order-{order_id}", 0)
    [stored] = app_store.read_stream(result.stream_name)
    assert stored.data == created and stored.commit_position == result.commit_position
    assert stored.metadata.actor == "customer:42"


def test_a_price_change_in_the_catalogue_applies_to_the_next_order(products):
    mug = products[0]
    create_order(Actor.customer("3"), (mug.sku, 1))
    mug.unit_price = Decimal("13.75")
    mug.save()

    _, result = create_order(Actor.customer("3"), (mug.sku, 2))

    assert result.events[0].total == Decimal("27.50")


def test_a_deactivated_product_cannot_be_ordered_any_more(products):
    mug = products[0]
    create_order(Actor.customer("3"), (mug.sku, 1))
    mug.active = False
    mug.save()

    with pytest.raises(InactiveProductError):
        create_order(Actor.customer("3"), (mug.sku, 1))


@pytest.mark.parametrize(("which", "error"), [("unknown", UnknownProductError), ("inactive", InactiveProductError)])
def test_unknown_or_inactive_products_are_refused_and_nothing_is_written(app_store, products, which, error):
    mug, _, old = products
    sku = "NOPE-404" if which == "unknown" else old.sku
    order_id = uuid4()
    command = CreateOrder(order_id=order_id, customer_id="42",
                          lines=(RequestedLine(sku=mug.sku, quantity=1), RequestedLine(sku=sku, quantity=1)))

    with pytest.raises(error) as refused:
        dispatch(command, actor=Actor.customer("42"))

    assert sku in str(refused.value)
    with pytest.raises(StreamNotFoundError):
        app_store.read_stream(f"order-{order_id}")


def test_pinned_expected_version_returns_the_conflict_and_appends_nothing(app_store, products):
    order_id, _ = create_order(Actor.customer("7"), (products[0].sku, 1))
    dispatch(AddOrderNote(order_id=order_id, text="first"), actor=STAFF, expected_version=0)

    with pytest.raises(ConcurrencyError) as conflict:
        dispatch(AddOrderNote(order_id=order_id, text="stale page"), actor=STAFF, expected_version=0)

    assert (conflict.value.expected, conflict.value.actual) == (0, 1)
    assert [e.stream_position for e in app_store.read_stream(f"order-{order_id}")] == [0, 1]


def test_concurrent_unpinned_commands_are_retried_and_none_is_lost(app_store, products):
    order_id, _ = create_order(Actor.customer("7"), (products[0].sku, 1))
    errors: list[Exception] = []

    def add_note(n: int) -> None:
        try:
            dispatch(AddOrderNote(order_id=order_id, text=f"note {n}"), actor=STAFF)
        except Exception as error:  # noqa: BLE001 - collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=add_note, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    stored = app_store.read_stream(f"order-{order_id}")
    assert [e.stream_position for e in stored] == list(range(13))
    assert sorted(e.data.text for e in stored[1:]) == sorted(f"note {n}" for n in range(12))


def test_a_retried_request_with_the_same_key_appends_nothing_and_returns_the_first_result(app_store, products):
    customer = Actor.customer("9")
    order_id = uuid4()
    command = CreateOrder(order_id=order_id, customer_id="9", lines=(RequestedLine(sku=products[0].sku, quantity=3),))

    first = dispatch(command, actor=customer, idempotency_key="k-1")
    again = dispatch(command, actor=customer, idempotency_key="k-1")

    assert (again.stream_name, again.new_version, again.commit_position) == (
        first.stream_name, first.new_version, first.commit_position)
    assert again.events == first.events and again.replayed and not first.replayed
    assert len(app_store.read_stream(f"order-{order_id}")) == 1


def test_the_same_key_with_a_different_command_is_an_error(products):
    customer = Actor.customer("9")
    create_order(customer, (products[0].sku, 1), idempotency_key="k-2")

    with pytest.raises(IdempotencyKeyReusedError, match="k-2"):
        create_order(customer, (products[0].sku, 1), idempotency_key="k-2")


def test_keys_are_per_actor(products):
    _, first = create_order(Actor.customer("1"), (products[0].sku, 1), idempotency_key="shared")
    _, second = create_order(Actor.customer("2"), (products[0].sku, 1), idempotency_key="shared")
    assert first.stream_name != second.stream_name and not second.replayed


def test_a_retry_after_a_crash_between_append_and_record_finds_the_first_events(app_store, products):
    customer = Actor.customer("5")
    order_id, _ = create_order(customer, (products[0].sku, 1))
    dispatch(_confirm(order_id), actor=SYSTEM)
    total = Decimal("12.50")
    pay = PayOrder(order_id=order_id, amount=total, payment_reference="psp-1")
    key = IdempotencyKey.for_command(pay, actor=customer, key="pay-once")
    # The first attempt appended its events with the derived ids, then the process died.
    repository = AggregateRepository(app_store)
    order = repository.load(Order, order_id).aggregate
    order.pay(pay, actor=customer)
    from eventlog.envelope import EventMetadata
    repository.append(order, event_ids=key.event_ids(1), expected_version=order.expected_version,
                      metadata=EventMetadata(correlation_id=uuid4(), causation_id=None, actor="customer:5"))

    retried = dispatch(pay, actor=customer, idempotency_key="pay-once")

    assert retried.replayed and retried.new_version == 2
    assert len(app_store.read_stream(f"order-{order_id}")) == 3


def _confirm(order_id):
    from orders.domain.commands import ConfirmOrder

    return ConfirmOrder(order_id=order_id)


def test_fifty_threads_reserving_twenty_units_get_exactly_twenty(app_store, unique):
    sku = f"HOT-{unique}".upper()
    dispatch(ReceiveStock(sku=sku, quantity=20), actor=STAFF)
    outcomes: list[object] = []
    lock = threading.Lock()

    def reserve() -> None:
        try:
            result = dispatch(ReserveStock(sku=sku, order_id=uuid4(), quantity=1), actor=SYSTEM)
        except Exception as error:  # noqa: BLE001 - collected and asserted below
            result = error
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=reserve) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    refused = [o for o in outcomes if isinstance(o, Exception)]
    assert len(outcomes) == 50
    assert len(refused) == 30 and all(isinstance(o, InsufficientStockError) for o in refused)
    assert "available" in str(refused[0])
    stored = app_store.read_stream(f"inventory-{sku}")
    assert [e.stream_position for e in stored] == list(range(21))
    reservations = [e.data for e in stored if isinstance(e.data, StockReserved)]
    assert len({r.order_id for r in reservations}) == 20


def test_snapshots_load_the_same_state_as_a_full_replay(app_store, unique):
    sku = f"SNAP-{unique}".upper()
    dispatch(ReceiveStock(sku=sku, quantity=10_000), actor=STAFF)
    for _ in range(130):
        dispatch(ReserveStock(sku=sku, order_id=uuid4(), quantity=2), actor=SYSTEM)
    repository = AggregateRepository(app_store)

    from_snapshot = repository.load(Inventory, sku, use_cache=False)
    full = repository.load(Inventory, sku, use_snapshots=False)
    cached = repository.load(Inventory, sku)  # this process has just seen it: only newer events are read

    assert from_snapshot.snapshot_version == 100 and len(from_snapshot.tail) == 30
    assert from_snapshot.aggregate.snapshot() == full.aggregate.snapshot()
    assert from_snapshot.aggregate.version == full.aggregate.version == 130
    assert from_snapshot.aggregate.available == 10_000 - 260
    assert cached.tail == () and cached.aggregate.snapshot() == full.aggregate.snapshot()
    snapshots = app_store.read_stream(snapshot_stream(f"inventory-{sku}"), decode=False)
    assert [s.event_type for s in snapshots] == ["AggregateSnapshot"]


def test_a_snapshot_from_older_aggregate_code_is_ignored(app_store, unique, monkeypatch):
    sku = f"OLD-{unique}".upper()
    dispatch(ReceiveStock(sku=sku, quantity=5), actor=STAFF)
    repository = AggregateRepository(app_store)
    repository.write_snapshot(repository.load(Inventory, sku).aggregate)
    monkeypatch.setattr(Inventory, "SNAPSHOT_SCHEMA", Inventory.SNAPSHOT_SCHEMA + 1)

    loaded = repository.load(Inventory, sku)

    assert loaded.snapshot_version is None and loaded.aggregate.available == 5


def test_time_travel_loads_the_state_as_of_a_version(app_store, unique):
    sku = f"TT-{unique}".upper()
    for quantity in (5, 7, 11):
        dispatch(ReceiveStock(sku=sku, quantity=quantity), actor=STAFF)
    repository = AggregateRepository(app_store)

    states = [repository.load(Inventory, sku, as_of=version).aggregate for version in range(3)]

    assert [(s.version, s.available) for s in states] == [(0, 5), (1, 12), (2, 23)]


def test_the_state_cache_still_reads_what_others_appended(app_store, unique):
    sku = f"CACHE-{unique}".upper()
    dispatch(ReceiveStock(sku=sku, quantity=5), actor=STAFF)  # this process now remembers version 0
    other_process = AggregateRepository(EventStore(app_store.url))
    other = other_process.load(Inventory, sku, use_cache=False).aggregate
    other.receive(ReceiveStock(sku=sku, quantity=7), actor=STAFF)
    from eventlog.envelope import EventMetadata
    other_process.append(other, event_ids=[uuid4()], expected_version=0,
                         metadata=EventMetadata(correlation_id=uuid4(), causation_id=None, actor="staff:2"))

    loaded = AggregateRepository(app_store).load(Inventory, sku)

    assert (loaded.aggregate.version, loaded.aggregate.available) == (1, 12)
