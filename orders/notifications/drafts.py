"""Which email an order event sends, and what it says: pure decisions, no database and no mail server."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from orders.domain.events import (
    OrderCancelled,
    OrderConfirmed,
    OrderDelivered,
    OrderEvent,
    OrderPaid,
    OrderRejected,
    OrderShipped,
)
from orders.notifications.carriers import tracking_url
from orders.notifications.models import Kind


@dataclass(frozen=True, slots=True)
class Draft:
    """An email to write: its kind (which templates), a short subject, and what the templates show."""

    kind: Kind
    subject: str
    context: dict[str, Any] = field(default_factory=dict)


NOTIFYING: tuple[type[OrderEvent], ...] = (OrderConfirmed, OrderRejected, OrderPaid, OrderShipped, OrderDelivered,
                                          OrderCancelled)


def notifies(event: object) -> bool:
    """Whether this event sends the customer an email (order created and staff notes do not)."""
    return isinstance(event, NOTIFYING)


def money(amount: Decimal, currency: str) -> str:
    """An amount as customers read it: two decimals and the currency code."""
    return f"{amount.quantize(Decimal('0.01')):,} {currency}"


def draft_for(event: OrderEvent, *, currency: str) -> Draft | None:
    """The email this event sends the customer, or None (order created, staff notes: nothing)."""
    short = str(event.order_id)[:8]
    context: dict[str, Any] = {"order_id": event.order_id, "short_id": short}
    if isinstance(event, OrderConfirmed):
        return Draft(Kind.CONFIRMED, f"Order {short} confirmed", context)
    if isinstance(event, OrderRejected):
        lines = [{"sku": line.sku, "requested": line.requested, "available": line.available}
                 for line in event.unavailable_lines]
        return Draft(Kind.REJECTED, f"Order {short} could not be accepted",
                     {**context, "short_lines": lines, "reason": event.reason})
    if isinstance(event, OrderPaid):
        return Draft(Kind.PAID, f"Payment received for order {short}",
                     {**context, "amount": money(event.amount, currency), "reference": event.payment_reference})
    if isinstance(event, OrderShipped):
        return Draft(Kind.SHIPPED, f"Order {short} shipped",
                     {**context, "carrier": event.carrier, "tracking_number": event.tracking_number,
                      "tracking_url": tracking_url(event.carrier, event.tracking_number)})
    if isinstance(event, OrderDelivered):
        return Draft(Kind.DELIVERED, f"Order {short} delivered", context)
    if isinstance(event, OrderCancelled):
        refund = money(event.refund_amount, currency) if event.refund_amount else None
        return Draft(Kind.CANCELLED, f"Order {short} cancelled", {**context, "refund": refund, "reason": event.reason})
    return None
