"""Properties: whatever commands arrive, valid or not, live state equals replayed state, and stock
never goes negative."""
from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any
from uuid import UUID

from hypothesis import event, given, settings, target
from hypothesis import strategies as st

from orders.domain import commands as c
from orders.domain.aggregate import Aggregate, Snapshot
from orders.domain.errors import DomainError
from orders.domain.events import DomainEvent, OrderCreated
from orders.domain.inventory import Inventory
from orders.domain.order import Order
from orders.domain.routes import route_for
from orders.domain.values import UnavailableLine
from tests.unit.builders import CATALOGUE, CUSTOMER, CUSTOMER_ID, ORDER_ID, OTHER_CUSTOMER, STAFF, SYSTEM

ACTORS = st.sampled_from([CUSTOMER, OTHER_CUSTOMER, STAFF, SYSTEM, STAFF, SYSTEM])
# Mostly orderable products, so that orders live long enough to reach every status.
SKUS = st.sampled_from(["MUG-1", "TEA-2", "MUG-1", "TEA-2", "OLD-3", "USD-4", "NOPE-9"])
TEXT = st.sampled_from(["late", "gift", "changed my mind"])


@st.composite
def create_orders(draw: st.DrawFn) -> c.CreateOrder:
    """A CreateOrder that may be valid, or name unknown, inactive or foreign-currency products."""
    skus = draw(st.lists(SKUS, min_size=1, max_size=3, unique=True))
    lines = tuple(c.RequestedLine(sku, draw(st.integers(1, 1000))) for sku in skus)
    customer = draw(st.sampled_from([CUSTOMER_ID, "43"]))
    return c.CreateOrder(ORDER_ID, customer, lines)


def _pay(amount: Decimal | None) -> Callable[[Any], c.PayOrder]:
    # None pays exactly the total, which depends on what was ordered, so it is read when the step runs.
    return lambda order: c.PayOrder(ORDER_ID, order.total if amount is None else amount, "pay-1")


PAYMENTS = st.builds(_pay, st.one_of(st.none(), st.none(), st.decimals(min_value=0, max_value=100_000, places=2)))

PROGRESS = st.sampled_from(
    [c.ConfirmOrder(ORDER_ID), _pay(None), c.ShipOrder(ORDER_ID, "DHL", "T1"), c.DeliverOrder(ORDER_ID)]
)
ORDER_STEPS = st.one_of(
    # The happy path is drawn more often than the dead ends, so that long lives are common.
    PROGRESS,
    PROGRESS,
    PROGRESS,
    create_orders(),
    st.just(c.ConfirmOrder(ORDER_ID)),
    st.builds(lambda r: c.RejectOrder(ORDER_ID, r, (UnavailableLine("MUG-1", 2, 1),)), TEXT),
    PAYMENTS,
    st.builds(lambda t: c.ShipOrder(ORDER_ID, "DHL", t), st.sampled_from(["T1", "T2"])),
    st.just(c.DeliverOrder(ORDER_ID)),
    st.builds(lambda r: c.CancelOrder(ORDER_ID, r), TEXT),
    st.builds(lambda t: c.AddOrderNote(ORDER_ID, t), TEXT),
)

Step = c.Command | Callable[[Any], c.Command]


def run(
    cls: type[Aggregate[Any]], aggregate_id: Any, steps: list[tuple[Step, Any]], *, check: Any = None
) -> tuple[Aggregate[Any], list[DomainEvent]]:
    """Send every command to one live aggregate like a handler would; refusals must leave no trace.

    A step may be a function of the live aggregate, for commands whose valid form depends on it.
    """
    live = cls(aggregate_id)
    stored: list[DomainEvent] = []
    for step, actor in steps:
        command = step if isinstance(step, c.Command) else step(live)
        route = route_for(command)
        context = {"products": CATALOGUE} if route.needs else {}
        before, version = live.snapshot(), live.version
        try:
            live = route.execute(command, aggregate=live, actor=actor, **context)
        except DomainError:
            assert live.snapshot() == before and live.version == version and live.pending_events == ()
        else:
            assert live.expected_version == len(stored) - 1
            stored.extend(live.collect_events())
            assert live.version == len(stored) - 1
        if check is not None:
            check(live)
    return live, stored


def assert_replay_matches(cls: type[Aggregate[Any]], aggregate_id: Any, live: Aggregate[Any],
                          stored: list[DomainEvent], cut: int) -> None:
    """Full replay, snapshot + tail, and time travel all agree with the live aggregate."""
    replayed = cls.replay(aggregate_id, stored)
    assert replayed.snapshot() == live.snapshot()
    assert replayed.version == live.version
    if stored:
        cut %= len(stored)
        head = cls.replay(aggregate_id, stored[: cut + 1])
        restored = cls.replay(aggregate_id, stored[cut + 1 :], snapshot=Snapshot(head.snapshot(), head.version))
        assert restored.snapshot() == live.snapshot()
        assert cls.replay(aggregate_id, stored, as_of=cut).snapshot() == head.snapshot()


_RANK = {None: 0, "PENDING": 1, "REJECTED": 2, "CANCELLED": 2, "CONFIRMED": 2, "PAID": 3, "SHIPPED": 4, "DELIVERED": 5}


def order_status(order: Any) -> None:
    """Report how far the order got, and steer generation towards long lives."""
    status = None if order.status is None else order.status.value
    event(f"reached {status}")
    target(float(_RANK[status]), label="progress")


# Usually a good creation first, so that the random steps after it meet every status.
OPENINGS = st.one_of(
    st.tuples(st.just(c.CreateOrder(ORDER_ID, CUSTOMER_ID, (c.RequestedLine("MUG-1", 3),))), st.just(CUSTOMER)),
    st.tuples(create_orders(), ACTORS),
)


@settings(max_examples=200, deadline=None)
@given(
    opening=OPENINGS,
    steps=st.lists(st.tuples(ORDER_STEPS, ACTORS), min_size=2, max_size=20),
    cut=st.integers(min_value=0, max_value=1000),
)
def test_an_order_live_state_equals_its_replay(
    opening: tuple[Step, Any], steps: list[tuple[Step, Any]], cut: int
) -> None:
    live, stored = run(Order, ORDER_ID, [opening, *steps])
    order_status(live)
    assert_replay_matches(Order, ORDER_ID, live, stored, cut)
    # A single creation at most, always first.
    assert [i for i, e in enumerate(stored) if isinstance(e, OrderCreated)] == ([0] if stored else [])


SKU = "MUG-1"
ORDER_IDS = st.sampled_from([UUID(int=1), UUID(int=2), UUID(int=3), UUID(int=4)])
QUANTITIES = st.integers(min_value=1, max_value=30)
INVENTORY_STEPS = st.one_of(
    st.builds(lambda q: c.ReceiveStock(SKU, q), QUANTITIES),
    st.builds(lambda o, q: c.ReserveStock(SKU, o, q), ORDER_IDS, QUANTITIES),
    st.builds(lambda o: c.ReleaseStock(SKU, o), ORDER_IDS),
    st.builds(lambda o: c.ShipStock(SKU, o), ORDER_IDS),
    st.builds(lambda d: c.AdjustStock(SKU, d, "recount"), st.integers(-30, 30).filter(bool)),
)


def stock_is_sane(inventory: Any) -> None:
    assert inventory.available >= 0
    assert inventory.on_hand >= inventory.reserved >= 0
    assert all(quantity > 0 for quantity in inventory.reservations.values())


@settings(max_examples=300, deadline=None)
@given(
    steps=st.lists(st.tuples(INVENTORY_STEPS, st.sampled_from([STAFF, SYSTEM, SYSTEM, CUSTOMER])), max_size=40),
    cut=st.integers(min_value=0, max_value=1000),
)
def test_inventory_live_state_equals_its_replay_and_never_goes_negative(
    steps: list[tuple[c.Command, Any]], cut: int
) -> None:
    live, stored = run(Inventory, SKU, steps, check=stock_is_sane)
    assert_replay_matches(Inventory, SKU, live, stored, cut)
    # Every intermediate state, as a reader travelling in time would see it, is sane too.
    for version in range(len(stored)):
        stock_is_sane(Inventory.replay(SKU, stored, as_of=version))
