"""Order domain: aggregates, events, commands, errors. Pure Python by contract.

Modules: `errors`, `validation`, `values` (Actor, ProductInfo, OrderLine, money), `events`
(`ALL_EVENTS`), `addresses` (ShippingAddress and its rules), `countries`, `commands`,
`aggregate` (base class, `Snapshot`), `order`, `inventory`, `customer`,
`routes` (`COMMAND_ROUTES`: command -> aggregate, method, stream).
"""
from __future__ import annotations

from orders.domain.aggregate import Aggregate, Snapshot
from orders.domain.customer import Customer
from orders.domain.events import ALL_EVENTS
from orders.domain.inventory import Inventory
from orders.domain.order import Order
from orders.domain.routes import COMMAND_ROUTES, CommandRoute, route_for
from orders.domain.values import Actor, OrderLine, OrderStatus, ProductInfo

__all__ = [
    "ALL_EVENTS",
    "COMMAND_ROUTES",
    "Actor",
    "Aggregate",
    "CommandRoute",
    "Customer",
    "Inventory",
    "Order",
    "OrderLine",
    "OrderStatus",
    "ProductInfo",
    "Snapshot",
    "route_for",
]
