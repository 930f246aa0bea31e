"""Snapshots (restore + tail == full replay, schema guard) and time travel (state as of version N)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar
from uuid import UUID

import pytest

from orders.domain.aggregate import Aggregate, Snapshot
from orders.domain.errors import StaleSnapshotError
from orders.domain.events import (
    DomainEvent,
    OrderCancelled,
    OrderNoteAdded,
    OrderRejected,
    StockAdjusted,
    StockReceived,
    StockReleased,
    StockReserved,
    StockShipped,
)
from orders.domain.inventory import Inventory
from orders.domain.order import Order
from orders.domain.values import OrderStatus, UnavailableLine
from tests.unit.builders import CUSTOMER, ORDER_ID, STAFF, created, history

A, B, C = UUID(int=0xA), UUID(int=0xB), UUID(int=0xC)

ORDER_STORY: tuple[DomainEvent, ...] = (
    *history("PAID")[:1],
    OrderNoteAdded(ORDER_ID, "fragile", "7"),
    *history("PAID")[1:],
    OrderNoteAdded(ORDER_ID, "customer called", "8"),
    OrderCancelled(ORDER_ID, "changed my mind", CUSTOMER, Decimal("18.25")),
    OrderNoteAdded(ORDER_ID, "refunded", "7"),
)
REJECTED_STORY: tuple[DomainEvent, ...] = (
    created(),
    OrderRejected(ORDER_ID, "no stock", (UnavailableLine("MUG-1", 2, 1),)),
)
SHIPPED_STORY = history("DELIVERED")
INVENTORY_STORY: tuple[DomainEvent, ...] = (
    StockReceived("MUG-1", 10),
    StockReserved("MUG-1", A, 3),
    StockReserved("MUG-1", B, 4),
    StockAdjusted("MUG-1", -2, "broken"),
    StockReleased("MUG-1", A, 3),
    StockShipped("MUG-1", B, 4),
    StockReserved("MUG-1", C, 1),
    StockReceived("MUG-1", 5),
)

STORIES: list[tuple[type[Aggregate[Any]], Any, tuple[DomainEvent, ...]]] = [
    (Order, ORDER_ID, ORDER_STORY),
    (Order, ORDER_ID, REJECTED_STORY),
    (Order, ORDER_ID, SHIPPED_STORY),
    (Inventory, "MUG-1", INVENTORY_STORY),
]
STORY_IDS = ["order-cancelled", "order-rejected", "order-delivered", "inventory"]


def through_json(state: dict[str, Any]) -> dict[str, Any]:
    """What a snapshot looks like after a trip through the snapshot stream."""
    loaded: dict[str, Any] = json.loads(json.dumps(state))
    return loaded


@pytest.mark.parametrize(("cls", "aggregate_id", "events"), STORIES, ids=STORY_IDS)
def test_a_copy_plus_tail_equals_full_replay_and_never_shares_state(
    cls: type[Aggregate[Any]], aggregate_id: Any, events: tuple[DomainEvent, ...]
) -> None:
    full = cls.replay(aggregate_id, events)
    for cut in range(len(events)):
        head = cls.replay(aggregate_id, events[: cut + 1])
        before = head.snapshot()
        copied = head.copy()  # what the repository's cache keeps and hands out
        assert (copied.version, copied.snapshot()) == (head.version, before)
        for event in events[cut + 1 :]:
            copied.apply(event)
        assert copied.snapshot() == full.snapshot()
        assert head.snapshot() == before  # the copy moved on; the original did not


@pytest.mark.parametrize(("cls", "aggregate_id", "events"), STORIES, ids=STORY_IDS)
def test_snapshot_plus_tail_equals_full_replay_at_every_point(
    cls: type[Aggregate[Any]], aggregate_id: Any, events: tuple[DomainEvent, ...]
) -> None:
    full = cls.replay(aggregate_id, events)
    for cut in range(len(events)):
        head = cls.replay(aggregate_id, events[: cut + 1])
        snapshot = Snapshot(state=through_json(head.snapshot()), version=head.version)
        restored = cls.replay(aggregate_id, events[cut + 1 :], snapshot=snapshot)
        assert restored.snapshot() == full.snapshot()
        assert restored.version == full.version == len(events) - 1


@pytest.mark.parametrize(("cls", "aggregate_id", "events"), STORIES, ids=STORY_IDS)
def test_a_restored_aggregate_keeps_deciding_like_the_original(
    cls: type[Aggregate[Any]], aggregate_id: Any, events: tuple[DomainEvent, ...]
) -> None:
    full = cls.replay(aggregate_id, events)
    restored = cls.from_snapshot(through_json(full.snapshot()), full.version)
    assert restored.snapshot() == full.snapshot()
    assert vars(restored) == vars(full)  # typed state too, not only its JSON form


def test_snapshots_are_plain_json_and_tagged_with_the_schema() -> None:
    state = Order.replay(ORDER_ID, ORDER_STORY).snapshot()
    assert through_json(state) == state
    assert state["schema"] == Order.SNAPSHOT_SCHEMA == 2
    assert state["status"] == "CANCELLED"
    assert state["refund_amount"] == "18.25"
    assert state["cancelled_by"] == {"kind": "customer", "id": "42"}
    inventory = Inventory.replay("MUG-1", INVENTORY_STORY).snapshot()
    assert inventory == {
        "schema": 1,
        "sku": "MUG-1",
        "on_hand": 9,
        "reservations": [{"order_id": str(C), "quantity": 1}],
    }


def test_typed_values_in_a_snapshot_are_accepted_too() -> None:
    # A typed encoder may hand back UUID and Decimal instead of strings.
    order = Order.replay(ORDER_ID, ORDER_STORY)
    state = order.snapshot()
    state["id"] = ORDER_ID
    state["total"] = Decimal("18.25")
    state["refund_amount"] = Decimal("18.25")
    assert Order.from_snapshot(state, order.version).snapshot() == order.snapshot()


def test_a_snapshot_from_other_aggregate_code_is_refused() -> None:
    order = Order.replay(ORDER_ID, ORDER_STORY)
    state = order.snapshot()

    class OrderV3(Order):
        SNAPSHOT_SCHEMA: ClassVar[int] = 3

    assert Order.accepts_snapshot(state)
    assert not OrderV3.accepts_snapshot(state)
    with pytest.raises(StaleSnapshotError, match="schema 2, this code reads schema 3"):
        OrderV3.from_snapshot(state, order.version)
    with pytest.raises(StaleSnapshotError):
        OrderV3.replay(ORDER_ID, (), snapshot=Snapshot(state, order.version))
    assert not Order.accepts_snapshot({k: v for k, v in state.items() if k != "schema"})


# -- time travel --------------------------------------------------------------------------------


@pytest.mark.parametrize(("cls", "aggregate_id", "events"), STORIES, ids=STORY_IDS)
def test_as_of_version_n_replays_the_first_n_plus_one_events(
    cls: type[Aggregate[Any]], aggregate_id: Any, events: tuple[DomainEvent, ...]
) -> None:
    for n in range(len(events)):
        then = cls.replay(aggregate_id, events, as_of=n)
        assert then.version == n
        assert then.snapshot() == cls.replay(aggregate_id, events[: n + 1]).snapshot()


def test_time_travel_through_an_orders_life() -> None:
    statuses = [Order.replay(ORDER_ID, ORDER_STORY, as_of=n).status for n in range(len(ORDER_STORY))]
    assert statuses == [
        OrderStatus.PENDING,
        OrderStatus.PENDING,
        OrderStatus.CONFIRMED,
        OrderStatus.PAID,
        OrderStatus.PAID,
        OrderStatus.CANCELLED,
        OrderStatus.CANCELLED,
    ]
    assert [n.text for n in Order.replay(ORDER_ID, ORDER_STORY, as_of=4).notes] == ["fragile", "customer called"]


def test_time_travel_with_a_snapshot() -> None:
    head = Inventory.replay("MUG-1", INVENTORY_STORY[:3])
    snapshot = Snapshot(head.snapshot(), head.version)
    then = Inventory.replay("MUG-1", INVENTORY_STORY[3:], snapshot=snapshot, as_of=5)
    assert then.snapshot() == Inventory.replay("MUG-1", INVENTORY_STORY[:6]).snapshot()
    assert then.version == 5
    at_snapshot = Inventory.replay("MUG-1", INVENTORY_STORY[3:], snapshot=snapshot, as_of=2)
    assert at_snapshot.snapshot() == head.snapshot()


def test_a_snapshot_newer_than_as_of_is_a_programming_error() -> None:
    head = Inventory.replay("MUG-1", INVENTORY_STORY[:4])
    with pytest.raises(ValueError, match="newer than as_of"):
        Inventory.replay("MUG-1", (), snapshot=Snapshot(head.snapshot(), head.version), as_of=2)


def test_as_of_beyond_the_end_is_the_latest_state() -> None:
    assert Order.replay(ORDER_ID, ORDER_STORY, as_of=999).version == len(ORDER_STORY) - 1


def test_no_history_is_a_new_aggregate() -> None:
    order = Order.replay(ORDER_ID, ())
    assert (order.version, order.exists, order.status) == (-1, False, None)


def test_events_an_aggregate_does_not_know_only_advance_its_version() -> None:
    @dataclass(frozen=True, slots=True)
    class SomethingNew(DomainEvent):
        detail: str

    order = Order.replay(ORDER_ID, (created(), SomethingNew("x"), OrderNoteAdded(ORDER_ID, "n", STAFF.id)))
    assert order.version == 2
    assert order.status is OrderStatus.PENDING
    assert len(order.notes) == 1
