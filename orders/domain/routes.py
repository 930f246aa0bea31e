"""The command map: which aggregate, which decision and which stream each command goes to.

A generic handler needs nothing else::

    route = route_for(command)
    history = store.read(route.stream_name(command))            # [] if the stream does not exist
    aggregate = route.aggregate.replay(route.aggregate_id(command), history)
    context = {"products": catalogue_lookup(command)} if "products" in route.needs else {}
    aggregate = route.execute(command, aggregate=aggregate, actor=actor, **context)
    store.append(route.stream_name(command), aggregate.pending_events,
                 expected_version=aggregate.expected_version)  # NO_STREAM: stream must not exist

For a creating route (`creates=True`, only `CreateOrder`) loading is optional: pass
`aggregate=None` and append with expected version NO_STREAM.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from orders.domain.aggregate import Aggregate
from orders.domain.commands import (
    AddOrderNote,
    AdjustStock,
    CancelOrder,
    Command,
    ConfirmOrder,
    CorrectShippingAddress,
    CreateOrder,
    DeliverOrder,
    EraseCustomer,
    PayOrder,
    ReceiveStock,
    RejectOrder,
    ReleaseStock,
    ReserveStock,
    ReserveStockForOrders,
    ShipOrder,
    ShipStock,
)
from orders.domain.customer import Customer
from orders.domain.errors import AlreadyExistsError
from orders.domain.inventory import Inventory
from orders.domain.order import Order
from orders.domain.values import Actor

__all__ = ["COMMAND_ROUTES", "CommandRoute", "route_for"]


@dataclass(frozen=True, slots=True)
class CommandRoute:
    """How one command class reaches its aggregate."""

    command: type[Command]
    aggregate: type[Aggregate[Any]]
    # The aggregate method that decides: an unbound method, or a classmethod when `creates` is true.
    decide: Callable[..., Any]
    # Command -> aggregate id (an order's UUID, an inventory's sku).
    aggregate_id: Callable[[Any], Any]
    creates: bool = False
    # Keyword arguments the method needs besides `actor`, supplied by the handler (e.g. "products").
    needs: tuple[str, ...] = ()

    def stream_name(self, command: Command) -> str:
        """The stream the command's events go to."""
        return self.aggregate.stream_name(self.aggregate_id(command))

    def execute(
        self, command: Command, *, aggregate: Aggregate[Any] | None, actor: Actor, **context: Any
    ) -> Aggregate[Any]:
        """Run the decision; returns the aggregate holding the new `pending_events` (maybe none)."""
        if not isinstance(command, self.command):
            raise TypeError(f"{type(command).__name__} sent through the route for {self.command.__name__}")
        if set(context) != set(self.needs):
            raise TypeError(f"{self.command.__name__} needs {sorted(self.needs)}, got {sorted(context)}")
        if self.creates:
            if aggregate is not None and aggregate.exists:
                raise AlreadyExistsError(self.aggregate.KIND, aggregate.id)
            created: Aggregate[Any] = self.decide(command, actor=actor, **context)
            return created
        target = aggregate if aggregate is not None else self.aggregate(self.aggregate_id(command))
        self.decide(target, command, actor=actor, **context)
        return target


def _order_id(command: Any) -> Any:
    return command.order_id


def _sku(command: Any) -> Any:
    return command.sku


def _customer_id(command: Any) -> Any:
    return command.customer_id


_ROUTES = (
    CommandRoute(CreateOrder, Order, Order.create, _order_id, creates=True, needs=("products",)),
    CommandRoute(ConfirmOrder, Order, Order.confirm, _order_id),
    CommandRoute(RejectOrder, Order, Order.reject, _order_id),
    CommandRoute(PayOrder, Order, Order.pay, _order_id),
    CommandRoute(ShipOrder, Order, Order.ship, _order_id),
    CommandRoute(DeliverOrder, Order, Order.deliver, _order_id),
    CommandRoute(CancelOrder, Order, Order.cancel, _order_id),
    CommandRoute(AddOrderNote, Order, Order.add_note, _order_id),
    CommandRoute(CorrectShippingAddress, Order, Order.correct_shipping_address, _order_id),
    CommandRoute(ReceiveStock, Inventory, Inventory.receive, _sku),
    CommandRoute(ReserveStock, Inventory, Inventory.reserve, _sku),
    CommandRoute(ReserveStockForOrders, Inventory, Inventory.reserve_for_orders, _sku),
    CommandRoute(ReleaseStock, Inventory, Inventory.release, _sku),
    CommandRoute(ShipStock, Inventory, Inventory.ship, _sku),
    CommandRoute(AdjustStock, Inventory, Inventory.adjust, _sku),
    CommandRoute(EraseCustomer, Customer, Customer.erase, _customer_id),
)

# Command class -> route. Read-only, so no one registers a command behind the domain's back.
COMMAND_ROUTES: Mapping[type[Command], CommandRoute] = MappingProxyType({r.command: r for r in _ROUTES})


def route_for(command: Command) -> CommandRoute:
    """The route for a command instance (KeyError if the command is not part of the domain)."""
    return COMMAND_ROUTES[type(command)]
