"""Commands: imperative requests, validated for shape on construction (rules live in the aggregates)."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

from orders.domain.addresses import ShippingAddress, checked_address, checked_email
from orders.domain.errors import CommandValidationError
from orders.domain.validation import (
    require_clean_text,
    require_int,
    require_money,
    require_sku,
    require_text,
    require_tuple_of,
    require_uuid,
)
from orders.domain.values import UnavailableLine

__all__ = [
    "MAX_LINES",
    "MAX_LINE_QUANTITY",
    "AddOrderNote",
    "AdjustStock",
    "CancelOrder",
    "Command",
    "ConfirmOrder",
    "CorrectShippingAddress",
    "CreateOrder",
    "DeliverOrder",
    "EraseCustomer",
    "InventoryCommand",
    "OrderCommand",
    "PayOrder",
    "ReceiveStock",
    "RejectOrder",
    "ReleaseStock",
    "RequestedLine",
    "Reservation",
    "ReserveStock",
    "ReserveStockForOrders",
    "ShipOrder",
    "ShipStock",
]

MAX_LINES = 50
# Reservations one ReserveStockForOrders may carry (the process manager's batches are far smaller).
MAX_RESERVATIONS = 1000
MAX_LINE_QUANTITY = 1000
# One delivery or correction this large is a typo, not a warehouse.
MAX_STOCK_QUANTITY = 1_000_000
# Longest texts a command accepts; forms, serializers and the API schema take them from here.
MAX_REASON_LENGTH = 1000
MAX_NOTE_LENGTH = 5000
MAX_PAYMENT_REFERENCE_LENGTH = 200
MAX_CARRIER_LENGTH = 100
MAX_TRACKING_NUMBER_LENGTH = 100


def changes_stock(delta: int) -> bool:
    """Whether a stock adjustment is allowed to be sent: it must change stock on hand (not 0)."""
    return delta != 0


@dataclass(frozen=True, slots=True)
class Command:
    """Base of every command."""


@dataclass(frozen=True, slots=True)
class OrderCommand(Command):
    """A command aimed at one order (stream `order-<order_id>`)."""

    order_id: UUID

    def __post_init__(self) -> None:
        require_uuid("order_id", self.order_id)


@dataclass(frozen=True, slots=True)
class RequestedLine:
    """What the customer asks for: a sku and a quantity. Never a price: prices come from the catalogue."""

    sku: str
    quantity: int

    def __post_init__(self) -> None:
        require_sku("sku", self.sku)
        require_int("quantity", self.quantity, minimum=1, maximum=MAX_LINE_QUANTITY)


@dataclass(frozen=True, slots=True)
class CreateOrder(OrderCommand):
    """Place an order; `order_id` is chosen by the caller so a retry targets the same stream.

    The checkout page and the API always send `shipping_address` and `contact_email`; they default to
    None only for callers inside the system that predate addresses (bench scripts, process tests).
    """

    customer_id: str
    lines: tuple[RequestedLine, ...]
    shipping_address: ShippingAddress | None = None
    contact_email: str | None = None

    def __post_init__(self) -> None:
        OrderCommand.__post_init__(self)
        require_text("customer_id", self.customer_id, max_length=200)
        if self.shipping_address is not None:
            object.__setattr__(self, "shipping_address", checked_address(self.shipping_address))
        if self.contact_email is not None:
            object.__setattr__(self, "contact_email", checked_email(self.contact_email))
        lines = require_tuple_of("lines", self.lines, RequestedLine)
        if not 1 <= len(lines) <= MAX_LINES:
            raise CommandValidationError("lines", f"an order has 1 to {MAX_LINES} lines, got {len(lines)}")
        seen: set[str] = set()
        for line in lines:
            if line.sku in seen:
                raise CommandValidationError("lines", f"sku {line.sku} appears more than once")
            seen.add(line.sku)
        object.__setattr__(self, "lines", lines)


@dataclass(frozen=True, slots=True)
class ConfirmOrder(OrderCommand):
    """Accept a pending order once its stock is reserved."""


@dataclass(frozen=True, slots=True)
class RejectOrder(OrderCommand):
    """Refuse a pending order, saying why and which lines could not be reserved."""

    reason: str
    unavailable_lines: tuple[UnavailableLine, ...] = ()

    def __post_init__(self) -> None:
        OrderCommand.__post_init__(self)
        object.__setattr__(self, "reason",
                           require_clean_text("reason", self.reason, max_length=MAX_REASON_LENGTH, multiline=True))
        lines = require_tuple_of("unavailable_lines", self.unavailable_lines, UnavailableLine)
        for index, line in enumerate(lines):
            require_sku(f"unavailable_lines[{index}].sku", line.sku)
            require_int(f"unavailable_lines[{index}].requested", line.requested, minimum=1)
            require_int(f"unavailable_lines[{index}].available", line.available, minimum=0)
        object.__setattr__(self, "unavailable_lines", lines)


@dataclass(frozen=True, slots=True)
class PayOrder(OrderCommand):
    """Record the payment of a confirmed order; the amount must equal its total."""

    amount: Decimal
    payment_reference: str

    def __post_init__(self) -> None:
        OrderCommand.__post_init__(self)
        object.__setattr__(self, "amount", require_money("amount", self.amount))
        object.__setattr__(self, "payment_reference",
                           require_clean_text("payment_reference", self.payment_reference,
                                                              max_length=MAX_PAYMENT_REFERENCE_LENGTH))


@dataclass(frozen=True, slots=True)
class ShipOrder(OrderCommand):
    """Hand a paid order to a carrier."""

    carrier: str
    tracking_number: str

    def __post_init__(self) -> None:
        OrderCommand.__post_init__(self)
        object.__setattr__(self, "carrier", require_clean_text("carrier", self.carrier, max_length=MAX_CARRIER_LENGTH))
        object.__setattr__(self, "tracking_number",
                           require_clean_text("tracking_number", self.tracking_number,
                                                            max_length=MAX_TRACKING_NUMBER_LENGTH))


@dataclass(frozen=True, slots=True)
class DeliverOrder(OrderCommand):
    """Record that a shipped order reached the customer."""


@dataclass(frozen=True, slots=True)
class CancelOrder(OrderCommand):
    """Cancel an order that has not shipped yet (refunding it if it was paid)."""

    reason: str

    def __post_init__(self) -> None:
        OrderCommand.__post_init__(self)
        object.__setattr__(self, "reason",
                           require_clean_text("reason", self.reason, max_length=MAX_REASON_LENGTH, multiline=True))


@dataclass(frozen=True, slots=True)
class AddOrderNote(OrderCommand):
    """Annotate an order (staff only)."""

    text: str

    def __post_init__(self) -> None:
        OrderCommand.__post_init__(self)
        object.__setattr__(self, "text",
                           require_clean_text("text", self.text, max_length=MAX_NOTE_LENGTH, multiline=True))


@dataclass(frozen=True, slots=True)
class CorrectShippingAddress(OrderCommand):
    """Replace the shipping address of an order that has not shipped (staff only), saying why."""

    shipping_address: ShippingAddress
    reason: str

    def __post_init__(self) -> None:
        OrderCommand.__post_init__(self)
        object.__setattr__(self, "shipping_address", checked_address(self.shipping_address))
        object.__setattr__(self, "reason",
                           require_clean_text("reason", self.reason, max_length=MAX_REASON_LENGTH, multiline=True))


@dataclass(frozen=True, slots=True)
class InventoryCommand(Command):
    """A command aimed at the stock of one sku (stream `inventory-<sku>`)."""

    sku: str

    def __post_init__(self) -> None:
        require_sku("sku", self.sku)


@dataclass(frozen=True, slots=True)
class ReceiveStock(InventoryCommand):
    """Add delivered units to stock on hand."""

    quantity: int

    def __post_init__(self) -> None:
        InventoryCommand.__post_init__(self)
        require_int("quantity", self.quantity, minimum=1, maximum=MAX_STOCK_QUANTITY)


@dataclass(frozen=True, slots=True)
class ReserveStock(InventoryCommand):
    """Set units aside for an order (a no-op if that order already holds a reservation)."""

    order_id: UUID
    quantity: int

    def __post_init__(self) -> None:
        InventoryCommand.__post_init__(self)
        require_uuid("order_id", self.order_id)
        require_int("quantity", self.quantity, minimum=1, maximum=MAX_STOCK_QUANTITY)


@dataclass(frozen=True, slots=True)
class Reservation:
    """One order's request for units of a sku, inside a ReserveStockForOrders."""

    order_id: UUID
    quantity: int

    def __post_init__(self) -> None:
        require_uuid("order_id", self.order_id)
        require_int("quantity", self.quantity, minimum=1, maximum=MAX_STOCK_QUANTITY)


@dataclass(frozen=True, slots=True)
class ReserveStockForOrders(InventoryCommand):
    """Set units aside for several orders at once, first come first served in the given order.

    Each reservation is decided exactly as ReserveStock would decide it alone, one after another;
    one that does not fit is left out (it appends nothing) instead of refusing the others.
    """

    reservations: tuple[Reservation, ...]

    def __post_init__(self) -> None:
        InventoryCommand.__post_init__(self)
        reservations = require_tuple_of("reservations", self.reservations, Reservation)
        if not 1 <= len(reservations) <= MAX_RESERVATIONS:
            raise CommandValidationError(
                "reservations", f"1 to {MAX_RESERVATIONS} reservations at once, got {len(reservations)}")
        if len({reservation.order_id for reservation in reservations}) != len(reservations):
            raise CommandValidationError("reservations", "an order appears more than once")
        object.__setattr__(self, "reservations", reservations)


@dataclass(frozen=True, slots=True)
class ReleaseStock(InventoryCommand):
    """Give back an order's whole reservation (a no-op if it holds none)."""

    order_id: UUID

    def __post_init__(self) -> None:
        InventoryCommand.__post_init__(self)
        require_uuid("order_id", self.order_id)


@dataclass(frozen=True, slots=True)
class ShipStock(InventoryCommand):
    """Take an order's reserved units out of the warehouse (a no-op if it holds no reservation)."""

    order_id: UUID

    def __post_init__(self) -> None:
        InventoryCommand.__post_init__(self)
        require_uuid("order_id", self.order_id)


@dataclass(frozen=True, slots=True)
class AdjustStock(InventoryCommand):
    """Correct stock on hand by a non-zero delta, with a reason."""

    delta: int
    reason: str

    def __post_init__(self) -> None:
        InventoryCommand.__post_init__(self)
        require_int("delta", self.delta, minimum=-MAX_STOCK_QUANTITY, maximum=MAX_STOCK_QUANTITY)
        if not changes_stock(self.delta):
            raise CommandValidationError("delta", "must not be zero")
        object.__setattr__(self, "reason",
                           require_clean_text("reason", self.reason, max_length=MAX_REASON_LENGTH, multiline=True))


@dataclass(frozen=True, slots=True)
class EraseCustomer(Command):
    """Erase a customer's personal data (stream `customer-<customer_id>`): their key, account and copies."""

    customer_id: str

    def __post_init__(self) -> None:
        require_text("customer_id", self.customer_id, max_length=200)
