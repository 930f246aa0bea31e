"""The Customer aggregate (stream `customer-<customer_id>`): the customer as a data subject.

Orders hold what a customer bought; this stream holds only what happened to the person's data
(erasure), so the record of an erasure outlives every copy of their data, and a restored database
can be erased again from it.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from orders.domain.aggregate import Aggregate
from orders.domain.commands import EraseCustomer
from orders.domain.errors import CustomerAlreadyErasedError, PermissionDeniedError
from orders.domain.events import CustomerErased
from orders.domain.values import Actor

__all__ = ["Customer"]


class Customer(Aggregate[str]):
    """A customer whose personal data may be erased, once; a stream that does not exist is a customer never erased."""

    STREAM_PREFIX: ClassVar[str] = "customer"
    KIND: ClassVar[str] = "customer"
    SNAPSHOT_SCHEMA: ClassVar[int] = 1

    def __init__(self, customer_id: str) -> None:
        super().__init__(customer_id)
        self.erased: bool = False
        self.erased_by: Actor | None = None

    @property
    def customer_id(self) -> str:
        """The customer's id (the user id as text, as orders carry it)."""
        return self.id

    # -- decisions ------------------------------------------------------------------------------

    def erase(self, command: EraseCustomer, *, actor: Actor) -> None:
        """Record the erasure; customers may erase only themselves, the system and staff anyone."""
        if command.customer_id != self.id:
            raise ValueError(f"command for customer {command.customer_id} sent to customer {self.id}")
        if actor.is_customer and actor.id != self.id:
            raise PermissionDeniedError("erase another customer", actor_kind=actor.kind)
        if self.erased:
            raise CustomerAlreadyErasedError(self.id)
        self._record(CustomerErased(customer_id=self.id, erased_by=actor))

    # -- appliers (never raise) -----------------------------------------------------------------

    def _on_erased(self, event: CustomerErased) -> None:
        self.erased, self.erased_by = True, event.erased_by

    _APPLIERS = {CustomerErased: _on_erased}

    # -- snapshots ------------------------------------------------------------------------------

    def _state_to_dict(self) -> dict[str, Any]:
        erased_by = None if self.erased_by is None else {"kind": self.erased_by.kind, "id": self.erased_by.id}
        return {"customer_id": self.id, "erased": self.erased, "erased_by": erased_by}

    @classmethod
    def _from_state_dict(cls, state: Mapping[str, Any]) -> Customer:
        customer = cls(str(state["customer_id"]))
        customer.erased = bool(state["erased"])
        by = state.get("erased_by")
        customer.erased_by = None if by is None else Actor(by["kind"], by["id"])
        return customer
