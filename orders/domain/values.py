"""Value objects shared by events, commands and aggregates: Actor, ProductInfo, OrderLine, money."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Literal

from orders.domain.errors import CommandValidationError
from orders.domain.validation import (
    MONEY_PLACES,
    money,
    money_text,
    require_currency,
    require_money,
    require_sku,
    require_text,
)

__all__ = [
    "MONEY_PLACES",
    "Actor",
    "ActorKind",
    "Note",
    "OrderLine",
    "OrderStatus",
    "ProductInfo",
    "UnavailableLine",
    "money",
    "money_text",
    "total_of",
]

ActorKind = Literal["customer", "staff", "system"]
ACTOR_KINDS: tuple[str, ...] = ("customer", "staff", "system")


@dataclass(frozen=True, slots=True)
class Actor:
    """Who asks for a decision: a customer (Django user id), a staff member, or the system itself."""

    kind: ActorKind
    id: str

    def __post_init__(self) -> None:
        if self.kind not in ACTOR_KINDS:
            raise CommandValidationError("actor.kind", f"must be one of {', '.join(ACTOR_KINDS)}, got {self.kind!r}")
        require_text("actor.id", self.id, max_length=200)

    @classmethod
    def customer(cls, user_id: str) -> Actor:
        """A customer acting on their own behalf."""
        return cls("customer", user_id)

    @classmethod
    def staff(cls, user_id: str) -> Actor:
        """A staff member (admin, API token with staff rights)."""
        return cls("staff", user_id)

    @classmethod
    def system(cls, name: str = "system") -> Actor:
        """A process acting on its own (process manager, payment webhook, ...)."""
        return cls("system", name)

    @property
    def is_customer(self) -> bool:
        """True for customers."""
        return self.kind == "customer"

    @property
    def is_staff(self) -> bool:
        """True for staff members."""
        return self.kind == "staff"

    @property
    def is_system(self) -> bool:
        """True for automated processes."""
        return self.kind == "system"

    def __str__(self) -> str:
        return f"{self.kind}:{self.id}"


@dataclass(frozen=True, slots=True)
class ProductInfo:
    """What the catalogue says about a product at the moment an order is placed."""

    sku: str
    name: str
    unit_price: Decimal
    currency: str
    active: bool = True

    def __post_init__(self) -> None:
        require_sku("sku", self.sku)
        require_text("name", self.name, max_length=200)
        # Catalogue prices may carry more places than cents in some backends; prices are cents here.
        object.__setattr__(self, "unit_price", require_money("unit_price", self.unit_price))
        require_currency("currency", self.currency)
        if not isinstance(self.active, bool):
            raise CommandValidationError("active", f"must be true or false, got {type(self.active).__name__}")


@dataclass(frozen=True, slots=True)
class OrderLine:
    """One priced line of a placed order (a fact inside `OrderCreated`, so it does not validate)."""

    sku: str
    name: str
    quantity: int
    unit_price: Decimal

    @property
    def subtotal(self) -> Decimal:
        """quantity x unit price, in cents."""
        return money(self.unit_price * self.quantity)


@dataclass(frozen=True, slots=True)
class UnavailableLine:
    """A line that could not be reserved when an order was checked against stock."""

    sku: str
    requested: int
    available: int


@dataclass(frozen=True, slots=True)
class Note:
    """A staff note on an order."""

    text: str
    author: str


class OrderStatus(StrEnum):
    """Where an order is in its life."""

    PENDING = "PENDING"
    CONFIRMED = "CONFIRMED"
    REJECTED = "REJECTED"
    PAID = "PAID"
    SHIPPED = "SHIPPED"
    DELIVERED = "DELIVERED"
    CANCELLED = "CANCELLED"


def total_of(lines: Iterable[OrderLine]) -> Decimal:
    """The sum of the lines' subtotals, in cents."""
    return money(sum((line.subtotal for line in lines), Decimal("0")))
