"""Domain errors: one root (`DomainError`), each refusal named, each message readable by a person."""
from __future__ import annotations

from decimal import Decimal
from typing import Any


class DomainError(Exception):
    """Root of every refusal the order domain makes; `str(error)` is fit to show a user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class CommandValidationError(DomainError):
    """A command (or input value) has the wrong shape; `field` names the offending field."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


class PermissionDeniedError(DomainError):
    """The actor may see the aggregate but is not allowed to perform this action on it."""

    def __init__(self, action: str, *, actor_kind: str) -> None:
        super().__init__(f"a {actor_kind} is not allowed to {action}")
        self.action = action
        self.actor_kind = actor_kind


class OrderNotFoundError(DomainError):
    """The order does not exist, or exists but belongs to another customer (we never say which)."""

    def __init__(self, order_id: Any) -> None:
        super().__init__(f"order {order_id} was not found")
        self.order_id = order_id


class AlreadyExistsError(DomainError):
    """A creating command was sent for an aggregate that already has history."""

    def __init__(self, kind: str, aggregate_id: Any) -> None:
        super().__init__(f"{kind} {aggregate_id} already exists")
        self.kind = kind
        self.aggregate_id = aggregate_id


class InvalidTransitionError(DomainError):
    """The aggregate's current state does not allow the requested action."""

    def __init__(self, kind: str, aggregate_id: Any, *, status: str, action: str, explanation: str) -> None:
        super().__init__(f"{kind} {aggregate_id} is {status}; {explanation}")
        self.kind = kind
        self.aggregate_id = aggregate_id
        self.status = status
        self.action = action


class CustomerAlreadyErasedError(InvalidTransitionError):
    """The customer was erased before: there is nothing left to erase, and it is recorded once."""

    def __init__(self, customer_id: Any) -> None:
        super().__init__("customer", customer_id, status="erased", action="erase",
                         explanation="their personal data was already erased")


class UnknownProductError(DomainError):
    """An order line names a sku that is not in the catalogue."""

    def __init__(self, sku: str) -> None:
        super().__init__(f"product {sku} does not exist")
        self.sku = sku


class InactiveProductError(DomainError):
    """An order line names a product that is no longer sold."""

    def __init__(self, sku: str) -> None:
        super().__init__(f"product {sku} is not available for sale")
        self.sku = sku


class CurrencyMismatchError(DomainError):
    """The products of one order are priced in different currencies."""

    def __init__(self, currencies: tuple[str, ...]) -> None:
        listed = ", ".join(sorted(set(currencies)))
        super().__init__(f"an order must be in a single currency, but its products are priced in {listed}")
        self.currencies = currencies


class PaymentAmountMismatchError(DomainError):
    """A payment's amount differs from the order total."""

    def __init__(self, order_id: Any, *, expected: Decimal, received: Decimal, currency: str) -> None:
        super().__init__(
            f"order {order_id} totals {expected} {currency}; a payment of {received} {currency} does not match"
        )
        self.order_id = order_id
        self.expected = expected
        self.received = received
        self.currency = currency


class InsufficientStockError(DomainError):
    """A reservation asks for more units than are available."""

    def __init__(self, sku: str, *, requested: int, available: int) -> None:
        super().__init__(f"not enough stock of {sku}: {requested} requested, {available} available")
        self.sku = sku
        self.requested = requested
        self.available = available


class InvalidStockAdjustmentError(DomainError):
    """An adjustment would take stock on hand below what is already reserved."""

    def __init__(self, sku: str, *, delta: int, on_hand: int, reserved: int) -> None:
        super().__init__(
            f"cannot adjust {sku} by {delta:+d}: {on_hand} on hand, {reserved} reserved for orders, "
            f"so on hand may not drop below {reserved}"
        )
        self.sku = sku
        self.delta = delta
        self.on_hand = on_hand
        self.reserved = reserved


class StaleSnapshotError(DomainError):
    """A snapshot was written by aggregate code with a different state shape; replay from the start."""

    def __init__(self, kind: str, *, found: Any, expected: int) -> None:
        super().__init__(f"{kind} snapshot has schema {found!r}, this code reads schema {expected}")
        self.kind = kind
        self.found = found
        self.expected = expected
