"""What happened, in words: one sentence per event for timelines (staff's, or the order's customer's)."""
from __future__ import annotations

from decimal import Decimal

from eventlog.envelope import RecordedEvent
from orders.domain import events as ev
from orders.domain.values import Actor, money_text


def describe(event: RecordedEvent, *, for_customer: bool = False) -> str:
    """What happened, in words a staff member (or, `for_customer`, the order's customer) reads on a timeline."""
    data = event.data
    match data:
        case ev.OrderCreated():
            units = sum(line.quantity for line in data.lines)
            return f"Order placed: {units} item{'s' if units != 1 else ''}, {_money(data.total)} {data.currency}"
        case ev.OrderConfirmed():
            return "Confirmed: all items reserved"
        case ev.OrderRejected():
            short = ", ".join(f"{line.sku} ({line.available} of {line.requested} available)"
                              for line in data.unavailable_lines)
            return f"Rejected: {data.reason}" + (f" — {short}" if short else "")
        case ev.OrderPaid():
            return f"Payment received: {_money(data.amount)} (reference {data.payment_reference})"
        case ev.OrderShipped():
            return f"Shipped with {data.carrier}, tracking {data.tracking_number}"
        case ev.OrderDelivered():
            return "Delivered"
        case ev.OrderCancelled():
            refund = f"; {_money(data.refund_amount)} refunded" if data.refund_amount else ""
            return f"Cancelled by {_who(data.cancelled_by, for_customer=for_customer)}: {data.reason}{refund}"
        case ev.ShippingAddressCorrected():
            where = ", ".join(data.shipping_address.as_lines()[1:])
            if for_customer:  # the staff reason is internal, like notes
                return f"Shipping address corrected by our team: now {where}"
            return f"Shipping address corrected by {_who(data.corrected_by, for_customer=False)}: now {where} " \
                   f"(reason: {data.reason})"
        case ev.OrderNoteAdded():
            return "Note added" if for_customer else f"Note from staff {data.author}: {data.text}"
        case ev.CustomerErased():
            return f"Personal data erased at the request of {_who(data.erased_by, for_customer=for_customer)}"
        case ev.StockReceived():
            return f"Received {data.quantity} units"
        case ev.StockReserved():
            return f"Reserved {data.quantity} for order {data.order_id}"
        case ev.StockReleased():
            return f"Released {data.quantity} from order {data.order_id}"
        case ev.StockShipped():
            return f"Shipped {data.quantity} for order {data.order_id}"
        case ev.StockAdjusted():
            return f"Adjusted by {data.delta:+d}: {data.reason}"
    return event.event_type


def _who(actor: Actor, *, for_customer: bool) -> str:
    """Who acted: staff read kind and id; a customer reads "you" or "our team", never a staff member's id."""
    if not for_customer:
        return f"{actor.kind} {actor.id}"
    return "you" if actor.is_customer else "our team"


def _money(amount: Decimal | None) -> str:
    return "" if amount is None else money_text(amount, grouped=True)
