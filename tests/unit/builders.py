"""Test data for the domain: actors, catalogue entries and the events of a typical order's life."""
from __future__ import annotations

from decimal import Decimal
from uuid import UUID

from orders.domain.addresses import ShippingAddress
from orders.domain.commands import CreateOrder, RequestedLine
from orders.domain.events import (
    OrderConfirmed,
    OrderCreated,
    OrderDelivered,
    OrderEvent,
    OrderPaid,
    OrderShipped,
)
from orders.domain.values import Actor, OrderLine, ProductInfo

ORDER_ID = UUID("3f2a6c1e-0000-4000-8000-000000000001")
OTHER_ORDER_ID = UUID("3f2a6c1e-0000-4000-8000-000000000002")
CUSTOMER_ID = "42"

CUSTOMER = Actor.customer(CUSTOMER_ID)
OTHER_CUSTOMER = Actor.customer("43")
STAFF = Actor.staff("7")
SYSTEM = Actor.system("fulfillment")

CATALOGUE: dict[str, ProductInfo] = {
    "MUG-1": ProductInfo("MUG-1", "Mug", Decimal("7.50"), "EUR"),
    "TEA-2": ProductInfo("TEA-2", "Green tea", Decimal("3.25"), "EUR"),
    "OLD-3": ProductInfo("OLD-3", "Discontinued kettle", Decimal("20.00"), "EUR", active=False),
    "USD-4": ProductInfo("USD-4", "Imported spoon", Decimal("1.00"), "USD"),
}

ADDRESS = ShippingAddress(recipient_name="Ada Lovelace", line1="12 Example Street", city="London",
                          postal_code="N1 9GU", country="GB", line2="Flat 3", phone="+44 20 7946 0000")
NEW_ADDRESS = ShippingAddress(recipient_name="Ada Lovelace", line1="14 Example Street", city="London",
                              postal_code="N1 9GU", country="GB")
EMAIL = "ada@example.com"

LINES = (
    OrderLine("MUG-1", "Mug", 2, Decimal("7.50")),
    OrderLine("TEA-2", "Green tea", 1, Decimal("3.25")),
)
TOTAL = Decimal("18.25")


def create_order(order_id: UUID = ORDER_ID, *, customer_id: str = CUSTOMER_ID) -> CreateOrder:
    """The command that places the standard test order (2 mugs, 1 tea)."""
    return CreateOrder(order_id, customer_id, (RequestedLine("MUG-1", 2), RequestedLine("TEA-2", 1)),
                       shipping_address=ADDRESS, contact_email=EMAIL)


def created(order_id: UUID = ORDER_ID) -> OrderCreated:
    """The event of the standard test order."""
    return OrderCreated(order_id=order_id, customer_id=CUSTOMER_ID, lines=LINES, total=TOTAL, currency="EUR",
                        shipping_address=ADDRESS, contact_email=EMAIL)


def history(status: str, order_id: UUID = ORDER_ID) -> tuple[OrderEvent, ...]:
    """The events that bring the standard order along the happy path to `status`."""
    path: list[OrderEvent] = [created(order_id)]
    steps: dict[str, OrderEvent] = {
        "CONFIRMED": OrderConfirmed(order_id),
        "PAID": OrderPaid(order_id, TOTAL, "pay-1"),
        "SHIPPED": OrderShipped(order_id, "DHL", "TRACK-1"),
        "DELIVERED": OrderDelivered(order_id),
    }
    for name, event in steps.items():
        if status == "PENDING":
            break
        path.append(event)
        if name == status:
            break
    return tuple(path)
