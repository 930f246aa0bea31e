"""The Inventory aggregate (stream `inventory-<sku>`): stock on hand and per-order reservations."""
from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, ClassVar
from uuid import UUID

from orders.domain.aggregate import Aggregate
from orders.domain.commands import (
    AdjustStock,
    InventoryCommand,
    ReceiveStock,
    ReleaseStock,
    ReserveStock,
    ReserveStockForOrders,
    ShipStock,
)
from orders.domain.errors import InsufficientStockError, InvalidStockAdjustmentError, PermissionDeniedError
from orders.domain.events import StockAdjusted, StockReceived, StockReleased, StockReserved, StockShipped
from orders.domain.values import Actor

__all__ = ["Inventory"]


class Inventory(Aggregate[str]):
    """Stock of one sku: available = on hand - reserved, and never negative.

    A stream that does not exist yet is simply a sku with no stock, so there is no "create".
    Reserve, release and ship are idempotent per order id because a process manager delivers
    them at least once.
    """

    STREAM_PREFIX: ClassVar[str] = "inventory"
    KIND: ClassVar[str] = "inventory"
    SNAPSHOT_SCHEMA: ClassVar[int] = 1

    def __init__(self, sku: str) -> None:
        super().__init__(sku)
        self.on_hand: int = 0
        self._reservations: dict[UUID, int] = {}

    @property
    def sku(self) -> str:
        """The sku this stock belongs to (the aggregate id)."""
        return self.id

    @property
    def reservations(self) -> Mapping[UUID, int]:
        """Units held per order id (read-only view)."""
        return MappingProxyType(self._reservations)

    @property
    def reserved(self) -> int:
        """Units set aside for orders that have not shipped."""
        return sum(self._reservations.values())

    @property
    def available(self) -> int:
        """Units that can still be reserved."""
        return self.on_hand - self.reserved

    # -- decisions ------------------------------------------------------------------------------

    def receive(self, command: ReceiveStock, *, actor: Actor) -> None:
        """Add delivered units to stock on hand."""
        self._check(command, actor, action="receive stock")
        self._record(StockReceived(sku=self.sku, quantity=command.quantity))

    def reserve(self, command: ReserveStock, *, actor: Actor) -> None:
        """Set units aside for an order; a second reservation for the same order changes nothing."""
        self._check(command, actor, action="reserve stock")
        if command.order_id in self._reservations:
            return
        if command.quantity > self.available:
            raise InsufficientStockError(self.sku, requested=command.quantity, available=max(self.available, 0))
        self._record(StockReserved(sku=self.sku, order_id=command.order_id, quantity=command.quantity))

    def reserve_for_orders(self, command: ReserveStockForOrders, *, actor: Actor) -> None:
        """Reserve for each order in turn, as `reserve` would; leave out (without raising) those that do not fit."""
        self._check(command, actor, action="reserve stock")
        for reservation in command.reservations:
            if reservation.order_id in self._reservations or reservation.quantity > self.available:
                continue
            self._record(StockReserved(sku=self.sku, order_id=reservation.order_id, quantity=reservation.quantity))

    def release(self, command: ReleaseStock, *, actor: Actor) -> None:
        """Give back an order's reservation; releasing one that does not exist changes nothing."""
        self._check(command, actor, action="release stock")
        held = self._reservations.get(command.order_id)
        if held is None:
            return
        self._record(StockReleased(sku=self.sku, order_id=command.order_id, quantity=held))

    def ship(self, command: ShipStock, *, actor: Actor) -> None:
        """Take an order's reserved units out of the warehouse; no reservation (e.g. already shipped) is a no-op."""
        self._check(command, actor, action="ship stock")
        held = self._reservations.get(command.order_id)
        if held is None:
            return
        self._record(StockShipped(sku=self.sku, order_id=command.order_id, quantity=held))

    def adjust(self, command: AdjustStock, *, actor: Actor) -> None:
        """Correct stock on hand; it may never drop below what is reserved for orders."""
        self._check(command, actor, action="adjust stock")
        if self.on_hand + command.delta < self.reserved:
            raise InvalidStockAdjustmentError(
                self.sku, delta=command.delta, on_hand=self.on_hand, reserved=self.reserved
            )
        self._record(StockAdjusted(sku=self.sku, delta=command.delta, reason=command.reason))

    def _check(self, command: InventoryCommand, actor: Actor, *, action: str) -> None:
        if command.sku != self.sku:
            raise ValueError(f"command for sku {command.sku} sent to inventory of {self.sku}")
        # Customers affect stock only through their orders, via the process manager (system).
        if actor.is_customer:
            raise PermissionDeniedError(action, actor_kind=actor.kind)

    # -- appliers (never raise) -----------------------------------------------------------------

    def _on_received(self, event: StockReceived) -> None:
        self.on_hand += event.quantity

    def _on_reserved(self, event: StockReserved) -> None:
        self._reservations[event.order_id] = self._reservations.get(event.order_id, 0) + event.quantity

    def _on_released(self, event: StockReleased) -> None:
        self._reservations.pop(event.order_id, None)

    def _on_shipped(self, event: StockShipped) -> None:
        self._reservations.pop(event.order_id, None)
        self.on_hand -= event.quantity

    def _on_adjusted(self, event: StockAdjusted) -> None:
        self.on_hand += event.delta

    _APPLIERS = {
        StockReceived: _on_received,
        StockReserved: _on_reserved,
        StockReleased: _on_released,
        StockShipped: _on_shipped,
        StockAdjusted: _on_adjusted,
    }

    # -- snapshots ------------------------------------------------------------------------------

    def copy(self) -> Inventory:
        """A copy whose reservations dict is copied as is, not converted to plain data and back (cheap at any size)."""
        if self._pending:
            raise ValueError("an aggregate with pending events cannot be copied")
        twin = Inventory(self.id)
        twin.version, twin.on_hand, twin._reservations = self.version, self.on_hand, dict(self._reservations)
        return twin

    def _state_to_dict(self) -> dict[str, Any]:
        return {
            "sku": self.sku,
            "on_hand": self.on_hand,
            # A list, not a dict keyed by UUID: JSON object keys would lose the type.
            "reservations": [
                {"order_id": str(order_id), "quantity": quantity}
                for order_id, quantity in self._reservations.items()
            ],
        }

    @classmethod
    def _from_state_dict(cls, state: Mapping[str, Any]) -> Inventory:
        inventory = cls(state["sku"])
        inventory.on_hand = int(state["on_hand"])
        inventory._reservations = {
            UUID(str(item["order_id"])): int(item["quantity"]) for item in state["reservations"]
        }
        return inventory
