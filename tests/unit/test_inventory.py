"""Inventory aggregate: receiving, reserving, releasing, shipping and adjusting stock."""
from __future__ import annotations

from uuid import UUID

import pytest

from orders.domain.commands import (
    AdjustStock,
    ReceiveStock,
    ReleaseStock,
    Reservation,
    ReserveStock,
    ReserveStockForOrders,
    ShipStock,
)
from orders.domain.errors import (
    CommandValidationError,
    InsufficientStockError,
    InvalidStockAdjustmentError,
    PermissionDeniedError,
)
from orders.domain.events import StockAdjusted, StockReceived, StockReleased, StockReserved, StockShipped
from orders.domain.inventory import Inventory
from tests.unit.builders import CUSTOMER, ORDER_ID, OTHER_ORDER_ID, STAFF, SYSTEM
from tests.unit.gwt import given

SKU = "MUG-1"
TEN_IN_STOCK = (StockReceived(SKU, 10),)
SEVEN_RESERVED = (*TEN_IN_STOCK, StockReserved(SKU, ORDER_ID, 7))


def test_a_new_sku_has_no_stock() -> None:
    inventory = Inventory(SKU)
    assert (inventory.on_hand, inventory.reserved, inventory.available, inventory.version) == (0, 0, 0, -1)
    assert not inventory.exists


def test_stock_is_received() -> None:
    inventory = given(Inventory, SKU).when(ReceiveStock(SKU, 10), actor=STAFF).then(StockReceived(SKU, 10))
    assert (inventory.on_hand, inventory.available) == (10, 10)


def test_deliveries_add_up() -> None:
    inventory = given(Inventory, SKU, *TEN_IN_STOCK).when(ReceiveStock(SKU, 5), actor=SYSTEM).then(
        StockReceived(SKU, 5)
    )
    assert inventory.on_hand == 15


def test_stock_is_reserved_for_an_order() -> None:
    inventory = given(Inventory, SKU, *TEN_IN_STOCK).when(ReserveStock(SKU, ORDER_ID, 7), actor=SYSTEM).then(
        StockReserved(SKU, ORDER_ID, 7)
    )
    assert (inventory.on_hand, inventory.reserved, inventory.available) == (10, 7, 3)
    assert dict(inventory.reservations) == {ORDER_ID: 7}


def test_all_available_stock_can_be_reserved() -> None:
    inventory = given(Inventory, SKU, *SEVEN_RESERVED).when(
        ReserveStock(SKU, OTHER_ORDER_ID, 3), actor=SYSTEM
    ).then(StockReserved(SKU, OTHER_ORDER_ID, 3))
    assert inventory.available == 0


def test_reserving_more_than_available_is_insufficient_stock() -> None:
    error = given(Inventory, SKU, *SEVEN_RESERVED).when(
        ReserveStock(SKU, OTHER_ORDER_ID, 4), actor=SYSTEM
    ).then_raises(InsufficientStockError, "^not enough stock of MUG-1: 4 requested, 3 available$")
    assert (error.sku, error.requested, error.available) == (SKU, 4, 3)


def test_reserving_an_unknown_sku_is_insufficient_stock() -> None:
    given(Inventory, SKU).when(ReserveStock(SKU, ORDER_ID, 1), actor=SYSTEM).then_raises(
        InsufficientStockError, "1 requested, 0 available"
    )


@pytest.mark.parametrize("quantity", [7, 1, 100])
def test_reserving_again_for_the_same_order_is_a_no_op(quantity: int) -> None:
    inventory = given(Inventory, SKU, *SEVEN_RESERVED).when(
        ReserveStock(SKU, ORDER_ID, quantity), actor=SYSTEM
    ).then_nothing()
    assert inventory.reserved == 7


def test_a_reservation_is_released_in_full() -> None:
    inventory = given(Inventory, SKU, *SEVEN_RESERVED).when(ReleaseStock(SKU, ORDER_ID), actor=SYSTEM).then(
        StockReleased(SKU, ORDER_ID, 7)
    )
    assert (inventory.on_hand, inventory.reserved, inventory.available) == (10, 0, 10)


def test_releasing_a_reservation_that_does_not_exist_is_a_no_op() -> None:
    given(Inventory, SKU, *SEVEN_RESERVED).when(ReleaseStock(SKU, OTHER_ORDER_ID), actor=SYSTEM).then_nothing()
    released = (*SEVEN_RESERVED, StockReleased(SKU, ORDER_ID, 7))
    given(Inventory, SKU, *released).when(ReleaseStock(SKU, ORDER_ID), actor=SYSTEM).then_nothing()


def test_after_release_the_order_may_reserve_again() -> None:
    released = (*SEVEN_RESERVED, StockReleased(SKU, ORDER_ID, 7))
    given(Inventory, SKU, *released).when(ReserveStock(SKU, ORDER_ID, 2), actor=SYSTEM).then(
        StockReserved(SKU, ORDER_ID, 2)
    )


def test_shipping_takes_reserved_stock_out_of_the_warehouse() -> None:
    inventory = given(Inventory, SKU, *SEVEN_RESERVED).when(ShipStock(SKU, ORDER_ID), actor=SYSTEM).then(
        StockShipped(SKU, ORDER_ID, 7)
    )
    assert (inventory.on_hand, inventory.reserved, inventory.available) == (3, 0, 3)


def test_shipping_without_a_reservation_is_a_no_op() -> None:
    # A process manager may deliver ShipStock twice; the second finds nothing reserved.
    shipped = (*SEVEN_RESERVED, StockShipped(SKU, ORDER_ID, 7))
    inventory = given(Inventory, SKU, *shipped).when(ShipStock(SKU, ORDER_ID), actor=SYSTEM).then_nothing()
    assert inventory.on_hand == 3


@pytest.mark.parametrize("delta", [-3, 1, 5])
def test_stock_is_adjusted(delta: int) -> None:
    inventory = given(Inventory, SKU, *SEVEN_RESERVED).when(AdjustStock(SKU, delta, "recount"), actor=STAFF).then(
        StockAdjusted(SKU, delta, "recount")
    )
    assert inventory.on_hand == 10 + delta
    assert inventory.reserved == 7


def test_an_adjustment_cannot_take_on_hand_below_reserved() -> None:
    error = given(Inventory, SKU, *SEVEN_RESERVED).when(AdjustStock(SKU, -4, "broken"), actor=STAFF).then_raises(
        InvalidStockAdjustmentError, "cannot adjust MUG-1 by -4: 10 on hand, 7 reserved"
    )
    assert (error.delta, error.on_hand, error.reserved) == (-4, 10, 7)


def test_an_adjustment_cannot_take_on_hand_below_zero() -> None:
    given(Inventory, SKU, *TEN_IN_STOCK).when(AdjustStock(SKU, -11, "lost"), actor=STAFF).then_raises(
        InvalidStockAdjustmentError
    )


@pytest.mark.parametrize(
    "command",
    [
        ReceiveStock(SKU, 1),
        ReserveStock(SKU, ORDER_ID, 1),
        ReleaseStock(SKU, ORDER_ID),
        ShipStock(SKU, ORDER_ID),
        AdjustStock(SKU, 1, "x"),
    ],
    ids=lambda c: type(c).__name__,
)
def test_customers_do_not_touch_stock(command: object) -> None:
    given(Inventory, SKU, *SEVEN_RESERVED).when(command, actor=CUSTOMER).then_raises(  # type: ignore[arg-type]
        PermissionDeniedError, "a customer is not allowed to"
    )


def test_a_command_for_another_sku_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="sent to inventory of MUG-1"):
        Inventory(SKU).receive(ReceiveStock("TEA-2", 1), actor=STAFF)


def test_stream_names() -> None:
    assert Inventory.stream_name(SKU) == "inventory-MUG-1"
    assert Inventory.id_from_stream_name("inventory-MUG-1") == SKU


def test_applying_odd_history_never_raises() -> None:
    # History written by older rules must still load: apply records facts, it does not judge them.
    odd = (StockReleased(SKU, UUID(int=9), 3), StockShipped(SKU, UUID(int=9), 2), StockReserved(SKU, ORDER_ID, 5))
    inventory = Inventory.replay(SKU, odd)
    assert (inventory.version, inventory.on_hand, inventory.reserved) == (2, -2, 5)


def test_reserving_for_several_orders_is_first_come_first_served_and_leaves_out_what_does_not_fit() -> None:
    third, fourth = UUID(int=3), UUID(int=4)
    command = ReserveStockForOrders(SKU, (Reservation(ORDER_ID, 9), Reservation(OTHER_ORDER_ID, 2),
                                          Reservation(third, 3), Reservation(fourth, 1)))
    # 7 already held for ORDER_ID (held again: a no-op), 3 left: 2 fit, then 3 do not, then 1 does.
    inventory = given(Inventory, SKU, *SEVEN_RESERVED).when(command, actor=SYSTEM).then(
        StockReserved(SKU, OTHER_ORDER_ID, 2), StockReserved(SKU, fourth, 1)
    )
    assert (inventory.reserved, inventory.available) == (10, 0)


def test_a_batched_reservation_names_each_order_once() -> None:
    with pytest.raises(CommandValidationError, match="more than once"):
        ReserveStockForOrders(SKU, (Reservation(ORDER_ID, 1), Reservation(ORDER_ID, 2)))
