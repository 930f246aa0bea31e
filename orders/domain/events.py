"""Domain events: immutable facts. The class name is the stored event type; no metadata here.

Events never validate: they record what was decided, and history must always load even if
today's rules are stricter than yesterday's.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar
from uuid import UUID

from orders.domain.addresses import PERSONAL_ADDRESS_PARTS, ShippingAddress
from orders.domain.values import Actor, OrderLine, UnavailableLine

__all__ = [
    "ALL_EVENTS",
    "CUSTOMER_EVENTS",
    "INVENTORY_EVENTS",
    "ORDER_EVENTS",
    "CustomerErased",
    "CustomerEvent",
    "DomainEvent",
    "InventoryEvent",
    "OrderCancelled",
    "OrderConfirmed",
    "OrderCreated",
    "OrderDelivered",
    "OrderEvent",
    "OrderNoteAdded",
    "OrderPaid",
    "OrderRejected",
    "OrderShipped",
    "ShippingAddressCorrected",
    "StockAdjusted",
    "StockReceived",
    "StockReleased",
    "StockReserved",
    "StockShipped",
]


# The parts of a shipping address that identify a person (the country stays plain, for sales figures).
PERSONAL_ADDRESS_FIELDS: tuple[str, ...] = tuple(f"shipping_address.{part}" for part in PERSONAL_ADDRESS_PARTS)


@dataclass(frozen=True, slots=True)
class DomainEvent:
    """Base of every event; `SCHEMA_VERSION` is bumped (with an upcaster) when a payload changes.

    `PERSONAL_FIELDS`: dotted payload paths that identify a person; the event log stores them encrypted
    under the data subject's key (the aggregate's `data_subject`), everything else stays plain.
    """

    SCHEMA_VERSION: ClassVar[int] = 1
    PERSONAL_FIELDS: ClassVar[tuple[str, ...]] = ()


@dataclass(frozen=True, slots=True)
class OrderEvent(DomainEvent):
    """Something that happened to one order (stream `order-<order_id>`)."""

    order_id: UUID


@dataclass(frozen=True, slots=True)
class OrderCreated(OrderEvent):
    """A customer placed an order; prices are the catalogue's at that moment.

    Schema 2 added `shipping_address` and `contact_email`; orders placed before have neither (None).
    """

    SCHEMA_VERSION: ClassVar[int] = 2
    PERSONAL_FIELDS: ClassVar[tuple[str, ...]] = (*PERSONAL_ADDRESS_FIELDS, "contact_email")

    customer_id: str
    lines: tuple[OrderLine, ...]
    total: Decimal
    currency: str
    shipping_address: ShippingAddress | None = None
    contact_email: str | None = None


@dataclass(frozen=True, slots=True)
class OrderConfirmed(OrderEvent):
    """Stock for every line was reserved."""


@dataclass(frozen=True, slots=True)
class OrderRejected(OrderEvent):
    """The order could not be accepted (typically: not enough stock for some lines)."""

    reason: str
    unavailable_lines: tuple[UnavailableLine, ...]


@dataclass(frozen=True, slots=True)
class OrderPaid(OrderEvent):
    """The customer paid the full total."""

    amount: Decimal
    payment_reference: str


@dataclass(frozen=True, slots=True)
class OrderShipped(OrderEvent):
    """The parcel left the warehouse."""

    carrier: str
    tracking_number: str


@dataclass(frozen=True, slots=True)
class OrderDelivered(OrderEvent):
    """The parcel reached the customer."""


@dataclass(frozen=True, slots=True)
class OrderCancelled(OrderEvent):
    """The order was cancelled before shipping; `refund_amount` is set when it had been paid."""

    PERSONAL_FIELDS: ClassVar[tuple[str, ...]] = ("reason",)  # free text a customer may type

    reason: str
    cancelled_by: Actor
    refund_amount: Decimal | None


@dataclass(frozen=True, slots=True)
class OrderNoteAdded(OrderEvent):
    """A staff member annotated the order."""

    text: str
    author: str


@dataclass(frozen=True, slots=True)
class ShippingAddressCorrected(OrderEvent):
    """A staff member replaced the shipping address of an order that had not shipped, saying why."""

    PERSONAL_FIELDS: ClassVar[tuple[str, ...]] = PERSONAL_ADDRESS_FIELDS

    shipping_address: ShippingAddress
    corrected_by: Actor
    reason: str


@dataclass(frozen=True, slots=True)
class InventoryEvent(DomainEvent):
    """Something that happened to the stock of one sku (stream `inventory-<sku>`)."""

    sku: str


@dataclass(frozen=True, slots=True)
class StockReceived(InventoryEvent):
    """Units arrived in the warehouse."""

    quantity: int


@dataclass(frozen=True, slots=True)
class StockReserved(InventoryEvent):
    """Units were set aside for an order."""

    order_id: UUID
    quantity: int


@dataclass(frozen=True, slots=True)
class StockReleased(InventoryEvent):
    """An order's reservation was given back."""

    order_id: UUID
    quantity: int


@dataclass(frozen=True, slots=True)
class StockShipped(InventoryEvent):
    """An order's reserved units left the warehouse (on hand and reserved both drop)."""

    order_id: UUID
    quantity: int


@dataclass(frozen=True, slots=True)
class StockAdjusted(InventoryEvent):
    """A stock count correction (breakage, recount, ...)."""

    delta: int
    reason: str


@dataclass(frozen=True, slots=True)
class CustomerEvent(DomainEvent):
    """Something that happened to one customer as a data subject (stream `customer-<customer_id>`)."""

    customer_id: str


@dataclass(frozen=True, slots=True)
class CustomerErased(CustomerEvent):
    """The customer's personal data was erased (their key destroyed); who asked, never what was erased."""

    erased_by: Actor


ORDER_EVENTS: tuple[type[OrderEvent], ...] = (
    OrderCreated,
    OrderConfirmed,
    OrderRejected,
    OrderPaid,
    OrderShipped,
    OrderDelivered,
    OrderCancelled,
    OrderNoteAdded,
    ShippingAddressCorrected,
)
INVENTORY_EVENTS: tuple[type[InventoryEvent], ...] = (
    StockReceived,
    StockReserved,
    StockReleased,
    StockShipped,
    StockAdjusted,
)
CUSTOMER_EVENTS: tuple[type[CustomerEvent], ...] = (CustomerErased,)
# What the event registry (outside the domain) registers, by class name.
ALL_EVENTS: tuple[type[DomainEvent], ...] = ORDER_EVENTS + INVENTORY_EVENTS + CUSTOMER_EVENTS
