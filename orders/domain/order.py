"""The Order aggregate (stream `order-<uuid>`): placing, confirming, paying, shipping, cancelling."""
from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, ClassVar
from uuid import UUID

from orders.domain.addresses import PERSONAL_ADDRESS_PARTS, ShippingAddress
from orders.domain.aggregate import Aggregate
from orders.domain.commands import (
    AddOrderNote,
    CancelOrder,
    ConfirmOrder,
    CorrectShippingAddress,
    CreateOrder,
    DeliverOrder,
    OrderCommand,
    PayOrder,
    RejectOrder,
    ShipOrder,
)
from orders.domain.errors import (
    CurrencyMismatchError,
    InactiveProductError,
    InvalidTransitionError,
    OrderNotFoundError,
    PaymentAmountMismatchError,
    PermissionDeniedError,
    UnknownProductError,
)
from orders.domain.events import (
    OrderCancelled,
    OrderConfirmed,
    OrderCreated,
    OrderDelivered,
    OrderNoteAdded,
    OrderPaid,
    OrderRejected,
    OrderShipped,
    ShippingAddressCorrected,
)
from orders.domain.values import (
    Actor,
    Note,
    OrderLine,
    OrderStatus,
    ProductInfo,
    UnavailableLine,
    total_of,
)

__all__ = ["ALLOWED_FROM", "Order", "OrderStatus"]

S = OrderStatus

# Which statuses each decision may start from; read by pages to decide which buttons to show.
ALLOWED_FROM: Mapping[str, frozenset[OrderStatus]] = {
    "confirm": frozenset({S.PENDING}),
    "reject": frozenset({S.PENDING}),
    "pay": frozenset({S.CONFIRMED}),
    "ship": frozenset({S.PAID}),
    "deliver": frozenset({S.SHIPPED}),
    "cancel": frozenset({S.PENDING, S.CONFIRMED, S.PAID}),
    "add_note": frozenset(S),
    # Until the parcel leaves: afterwards the carrier has the label, and a closed order ships nothing.
    "correct_address": frozenset({S.PENDING, S.CONFIRMED, S.PAID}),
}
# Where each decision leads, and how a person says it.
_TARGET: Mapping[str, OrderStatus] = {
    "confirm": S.CONFIRMED,
    "reject": S.REJECTED,
    "pay": S.PAID,
    "ship": S.SHIPPED,
    "deliver": S.DELIVERED,
    "cancel": S.CANCELLED,
}
_PAST: Mapping[str, str] = {
    "confirm": "confirmed",
    "reject": "rejected",
    "pay": "paid",
    "ship": "shipped",
    "deliver": "delivered",
    "cancel": "cancelled",
}
# The happy path, in order; REJECTED and CANCELLED are dead ends off it.
_PROGRESS: Mapping[OrderStatus, int] = {S.PENDING: 0, S.CONFIRMED: 1, S.PAID: 2, S.SHIPPED: 3, S.DELIVERED: 4}
_FINAL = frozenset({S.REJECTED, S.CANCELLED, S.DELIVERED})

_STAFF_OR_SYSTEM = frozenset({"staff", "system"})
_ANYONE = frozenset({"customer", "staff", "system"})


class Order(Aggregate[UUID]):
    """A customer's order; customers may only see and act on their own."""

    STREAM_PREFIX: ClassVar[str] = "order"
    KIND: ClassVar[str] = "order"
    SNAPSHOT_SCHEMA: ClassVar[int] = 2  # 2: shipping_address, contact_email
    PERSONAL_STATE_FIELDS: ClassVar[tuple[str, ...]] = (
        *(f"shipping_address.{part}" for part in PERSONAL_ADDRESS_PARTS), "contact_email", "cancellation_reason")

    def __init__(self, order_id: UUID) -> None:
        super().__init__(order_id)
        self.customer_id: str = ""
        self.status: OrderStatus | None = None
        self.lines: tuple[OrderLine, ...] = ()
        self.total: Decimal = Decimal("0.00")
        self.currency: str = ""
        self.rejection_reason: str | None = None
        self.unavailable_lines: tuple[UnavailableLine, ...] = ()
        self.amount_paid: Decimal | None = None
        self.payment_reference: str | None = None
        self.carrier: str | None = None
        self.tracking_number: str | None = None
        self.cancellation_reason: str | None = None
        self.cancelled_by: Actor | None = None
        self.refund_amount: Decimal | None = None
        self.notes: tuple[Note, ...] = ()
        self.shipping_address: ShippingAddress | None = None  # None: placed before addresses were recorded
        self.contact_email: str | None = None

    @property
    def data_subject(self) -> str | None:
        """The customer: the personal fields of an order are theirs."""
        return self.customer_id or None

    # -- decisions ------------------------------------------------------------------------------

    @classmethod
    def create(cls, command: CreateOrder, *, products: Mapping[str, ProductInfo], actor: Actor) -> Order:
        """Place a new order, pricing each line from `products` (the catalogue, keyed by sku)."""
        if actor.is_customer and actor.id != command.customer_id:
            raise PermissionDeniedError("place an order for another customer", actor_kind=actor.kind)
        lines: list[OrderLine] = []
        currencies: list[str] = []
        for requested in command.lines:
            product = products.get(requested.sku)
            if product is None:
                raise UnknownProductError(requested.sku)
            if not product.active:
                raise InactiveProductError(requested.sku)
            lines.append(OrderLine(requested.sku, product.name, requested.quantity, product.unit_price))
            currencies.append(product.currency)
        if len(set(currencies)) > 1:
            raise CurrencyMismatchError(tuple(currencies))
        order = cls(command.order_id)
        order._record(
            OrderCreated(
                order_id=command.order_id,
                customer_id=command.customer_id,
                lines=tuple(lines),
                total=total_of(lines),
                currency=currencies[0],
                shipping_address=command.shipping_address,
                contact_email=command.contact_email,
            )
        )
        return order

    def confirm(self, command: ConfirmOrder, *, actor: Actor) -> None:
        """Accept the order once its stock is reserved (staff or system)."""
        self._check(command, actor, action="confirm", kinds=_STAFF_OR_SYSTEM)
        self._record(OrderConfirmed(order_id=self.id))

    def reject(self, command: RejectOrder, *, actor: Actor) -> None:
        """Refuse the order, keeping the reason and the lines that could not be reserved."""
        self._check(command, actor, action="reject", kinds=_STAFF_OR_SYSTEM)
        self._record(
            OrderRejected(order_id=self.id, reason=command.reason, unavailable_lines=command.unavailable_lines)
        )

    def pay(self, command: PayOrder, *, actor: Actor) -> None:
        """Record payment of the full total (the customer themself, staff, or a payment system)."""
        self._check(command, actor, action="pay", kinds=_ANYONE)
        if command.amount != self.total:
            raise PaymentAmountMismatchError(
                self.id, expected=self.total, received=command.amount, currency=self.currency
            )
        self._record(
            OrderPaid(order_id=self.id, amount=command.amount, payment_reference=command.payment_reference)
        )

    def ship(self, command: ShipOrder, *, actor: Actor) -> None:
        """Hand the paid order to a carrier (staff or system)."""
        self._check(command, actor, action="ship", kinds=_STAFF_OR_SYSTEM)
        self._record(
            OrderShipped(order_id=self.id, carrier=command.carrier, tracking_number=command.tracking_number)
        )

    def deliver(self, command: DeliverOrder, *, actor: Actor) -> None:
        """Record delivery of the shipped order (staff or system)."""
        self._check(command, actor, action="deliver", kinds=_STAFF_OR_SYSTEM)
        self._record(OrderDelivered(order_id=self.id))

    def cancel(self, command: CancelOrder, *, actor: Actor) -> None:
        """Cancel before shipping; a paid order is refunded in full."""
        self._check(command, actor, action="cancel", kinds=_ANYONE)
        self._record(
            OrderCancelled(
                order_id=self.id,
                reason=command.reason,
                cancelled_by=actor,
                refund_amount=self.amount_paid if self.status is S.PAID else None,
            )
        )

    def add_note(self, command: AddOrderNote, *, actor: Actor) -> None:
        """Annotate the order in any state (staff only)."""
        self._check(command, actor, action="add_note", kinds=frozenset({"staff"}))
        self._record(OrderNoteAdded(order_id=self.id, text=command.text, author=actor.id))

    def correct_shipping_address(self, command: CorrectShippingAddress, *, actor: Actor) -> None:
        """Replace the address of an order that has not shipped (staff only); who and why are kept."""
        self._check(command, actor, action="correct_address", kinds=frozenset({"staff"}))
        self._record(ShippingAddressCorrected(order_id=self.id, shipping_address=command.shipping_address,
                                              corrected_by=actor, reason=command.reason))

    def _check(self, command: OrderCommand, actor: Actor, *, action: str, kinds: frozenset[str]) -> None:
        # Order matters: existence and ownership first, so another customer learns nothing,
        # not even the status, from the error.
        if command.order_id != self.id:
            raise ValueError(f"command for order {command.order_id} sent to order {self.id}")
        if not self.exists or self.status is None:
            raise OrderNotFoundError(self.id)
        if actor.is_customer and actor.id != self.customer_id:
            raise OrderNotFoundError(self.id)
        if actor.kind not in kinds:
            what = {"add_note": "add notes to", "correct_address": "correct the address of"}.get(action, action)
            raise PermissionDeniedError(f"{what} an order", actor_kind=actor.kind)
        if self.status not in ALLOWED_FROM[action]:
            raise InvalidTransitionError(
                self.KIND, self.id, status=self.status.value, action=action, explanation=self._why_not(action)
            )

    def _why_not(self, action: str) -> str:
        assert self.status is not None
        if action == "correct_address":
            return "its shipping address can no longer be corrected (only before it ships)"
        verb = _PAST[action]
        if _TARGET[action] is self.status:
            return f"it is already {verb}"
        allowed = ALLOWED_FROM[action]
        latest_allowed = max(_PROGRESS[s] for s in allowed)
        if self.status in _FINAL or _PROGRESS[self.status] > latest_allowed:
            return f"it can no longer be {verb}"
        earliest = min(allowed, key=lambda s: _PROGRESS[s])
        return f"it cannot be {verb} until it is {earliest.value}"

    # -- appliers (never raise) -----------------------------------------------------------------

    def _on_created(self, event: OrderCreated) -> None:
        self.customer_id = event.customer_id
        self.status = S.PENDING
        self.lines = event.lines
        self.total = event.total
        self.currency = event.currency
        self.shipping_address = event.shipping_address
        self.contact_email = event.contact_email

    def _on_confirmed(self, event: OrderConfirmed) -> None:
        self.status = S.CONFIRMED

    def _on_rejected(self, event: OrderRejected) -> None:
        self.status = S.REJECTED
        self.rejection_reason = event.reason
        self.unavailable_lines = event.unavailable_lines

    def _on_paid(self, event: OrderPaid) -> None:
        self.status = S.PAID
        self.amount_paid = event.amount
        self.payment_reference = event.payment_reference

    def _on_shipped(self, event: OrderShipped) -> None:
        self.status = S.SHIPPED
        self.carrier = event.carrier
        self.tracking_number = event.tracking_number

    def _on_delivered(self, event: OrderDelivered) -> None:
        self.status = S.DELIVERED

    def _on_cancelled(self, event: OrderCancelled) -> None:
        self.status = S.CANCELLED
        self.cancellation_reason = event.reason
        self.cancelled_by = event.cancelled_by
        self.refund_amount = event.refund_amount

    def _on_note_added(self, event: OrderNoteAdded) -> None:
        self.notes = (*self.notes, Note(text=event.text, author=event.author))

    def _on_address_corrected(self, event: ShippingAddressCorrected) -> None:
        self.shipping_address = event.shipping_address

    _APPLIERS = {
        OrderCreated: _on_created,
        OrderConfirmed: _on_confirmed,
        OrderRejected: _on_rejected,
        OrderPaid: _on_paid,
        OrderShipped: _on_shipped,
        OrderDelivered: _on_delivered,
        OrderCancelled: _on_cancelled,
        OrderNoteAdded: _on_note_added,
        ShippingAddressCorrected: _on_address_corrected,
    }

    # -- snapshots ------------------------------------------------------------------------------

    def _state_to_dict(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "customer_id": self.customer_id,
            "status": None if self.status is None else self.status.value,
            "lines": [
                {"sku": line.sku, "name": line.name, "quantity": line.quantity, "unit_price": str(line.unit_price)}
                for line in self.lines
            ],
            "total": str(self.total),
            "currency": self.currency,
            "rejection_reason": self.rejection_reason,
            "unavailable_lines": [
                {"sku": line.sku, "requested": line.requested, "available": line.available}
                for line in self.unavailable_lines
            ],
            "amount_paid": _str_or_none(self.amount_paid),
            "payment_reference": self.payment_reference,
            "carrier": self.carrier,
            "tracking_number": self.tracking_number,
            "cancellation_reason": self.cancellation_reason,
            "cancelled_by": (
                None if self.cancelled_by is None else {"kind": self.cancelled_by.kind, "id": self.cancelled_by.id}
            ),
            "refund_amount": _str_or_none(self.refund_amount),
            "notes": [{"text": note.text, "author": note.author} for note in self.notes],
            "shipping_address": _address_dict(self.shipping_address),
            "contact_email": self.contact_email,
        }

    @classmethod
    def _from_state_dict(cls, state: Mapping[str, Any]) -> Order:
        # Values may come back as str (after JSON) or as UUID/Decimal (from a typed encoder).
        order = cls(UUID(str(state["id"])))
        order.customer_id = state["customer_id"]
        order.status = None if state["status"] is None else OrderStatus(state["status"])
        order.lines = tuple(
            OrderLine(line["sku"], line["name"], int(line["quantity"]), Decimal(str(line["unit_price"])))
            for line in state["lines"]
        )
        order.total = Decimal(str(state["total"]))
        order.currency = state["currency"]
        order.rejection_reason = state["rejection_reason"]
        order.unavailable_lines = tuple(
            UnavailableLine(line["sku"], int(line["requested"]), int(line["available"]))
            for line in state["unavailable_lines"]
        )
        order.amount_paid = _money_or_none(state["amount_paid"])
        order.payment_reference = state["payment_reference"]
        order.carrier = state["carrier"]
        order.tracking_number = state["tracking_number"]
        order.cancellation_reason = state["cancellation_reason"]
        by = state["cancelled_by"]
        order.cancelled_by = None if by is None else Actor(by["kind"], by["id"])
        order.refund_amount = _money_or_none(state["refund_amount"])
        order.notes = tuple(Note(note["text"], note["author"]) for note in state["notes"])
        address = state["shipping_address"]
        order.shipping_address = None if address is None else ShippingAddress(**address)
        order.contact_email = state["contact_email"]
        return order


def _str_or_none(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _money_or_none(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _address_dict(address: ShippingAddress | None) -> dict[str, str] | None:
    if address is None:
        return None
    return {"recipient_name": address.recipient_name, "line1": address.line1, "line2": address.line2,
            "city": address.city, "postal_code": address.postal_code, "country": address.country,
            "phone": address.phone}
