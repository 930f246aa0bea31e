"""Events are immutable typed facts; values (Actor, ProductInfo, money) validate their input."""
from __future__ import annotations

import dataclasses
import types
import typing
from decimal import Decimal
from uuid import UUID

import pytest

from orders.domain import values
from orders.domain.errors import CommandValidationError
from orders.domain.events import (
    ALL_EVENTS,
    CUSTOMER_EVENTS,
    INVENTORY_EVENTS,
    ORDER_EVENTS,
    CustomerEvent,
    InventoryEvent,
    OrderEvent,
    OrderPaid,
)
from orders.domain.values import Actor, OrderLine, ProductInfo, money, total_of

ALLOWED_LEAVES = {str, int, bool, Decimal, UUID, type(None)}


def _check_type(hint: object, where: str) -> None:
    origin = typing.get_origin(hint)
    if origin is tuple:
        args = typing.get_args(hint)
        assert len(args) == 2 and args[1] is Ellipsis, where
        _check_type(args[0], where)
    elif origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(hint):
            _check_type(arg, where)
    elif isinstance(hint, type) and dataclasses.is_dataclass(hint):
        assert hint.__dataclass_params__.frozen, where  # type: ignore[attr-defined]
        for name, sub in typing.get_type_hints(hint).items():
            _check_type(sub, f"{where}.{name}")
    elif hint is values.ActorKind:
        pass
    else:
        assert hint in ALLOWED_LEAVES, f"{where}: {hint!r} is not an allowed event field type"


def test_all_events_lists_every_event_once_by_unique_class_name() -> None:
    assert len(ALL_EVENTS) == 15
    assert len({e.__name__ for e in ALL_EVENTS}) == len(ALL_EVENTS)
    assert all(issubclass(e, OrderEvent) for e in ORDER_EVENTS)
    assert all(issubclass(e, InventoryEvent) for e in INVENTORY_EVENTS)
    assert all(issubclass(e, CustomerEvent) for e in CUSTOMER_EVENTS)


@pytest.mark.parametrize("event", ALL_EVENTS, ids=lambda e: e.__name__)
def test_events_are_frozen_slotted_dataclasses_of_immutable_types(event: type) -> None:
    assert dataclasses.is_dataclass(event)
    assert event.__dataclass_params__.frozen  # type: ignore[attr-defined]
    assert "__slots__" in event.__dict__
    assert event.SCHEMA_VERSION >= 1
    for name, hint in typing.get_type_hints(event).items():
        if name in {"SCHEMA_VERSION", "PERSONAL_FIELDS"}:  # class-level declarations, not payload
            continue
        _check_type(hint, f"{event.__name__}.{name}")


def test_events_cannot_be_changed() -> None:
    event = OrderPaid(UUID(int=1), Decimal("1.00"), "p")
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.amount = Decimal("2.00")  # type: ignore[misc]
    with pytest.raises((AttributeError, TypeError)):
        event.extra = 1  # type: ignore[attr-defined]


def test_actors() -> None:
    assert Actor.customer("42") == Actor("customer", "42")
    assert str(Actor.staff("7")) == "staff:7"
    assert Actor.system().is_system and Actor.staff("1").is_staff and Actor.customer("1").is_customer
    with pytest.raises(CommandValidationError) as caught:
        Actor("robot", "1")  # type: ignore[arg-type]
    assert caught.value.field == "actor.kind"
    with pytest.raises(CommandValidationError):
        Actor.customer("")


def test_product_info_validates_catalogue_values() -> None:
    assert ProductInfo("A", "a", Decimal("2"), "EUR").unit_price == Decimal("2.00")
    for field, build in {
        "unit_price": lambda: ProductInfo("A", "a", 2.5, "EUR"),  # type: ignore[arg-type]
        "currency": lambda: ProductInfo("A", "a", Decimal("1"), "eur"),
        "sku": lambda: ProductInfo("A B", "a", Decimal("1"), "EUR"),
        "name": lambda: ProductInfo("A", "", Decimal("1"), "EUR"),
        "active": lambda: ProductInfo("A", "a", Decimal("1"), "EUR", active="yes"),  # type: ignore[arg-type]
    }.items():
        with pytest.raises(CommandValidationError) as caught:
            build()
        assert caught.value.field == field


def test_money_is_cents() -> None:
    assert str(money(Decimal("1.005"))) == "1.00"  # banker's rounding of half a cent
    assert str(money(3)) == "3.00"
    lines = [OrderLine("A", "a", 3, Decimal("0.10")), OrderLine("B", "b", 1, Decimal("0.20"))]
    assert total_of(lines) == Decimal("0.50")
    assert str(total_of([])) == "0.00"
