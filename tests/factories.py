"""Test data made through the real write side: one way to place an order in every test suite."""
from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

from orders.domain.commands import CreateOrder, RequestedLine
from orders.domain.values import Actor
from orders.handlers import dispatch


def place(customer: Any, *lines: tuple[str, int], order_id: UUID | None = None, **dispatch_options: Any) -> UUID:
    """Place an order straight through `dispatch` as the customer (a user or a customer id); returns its id.

    `dispatch_options` go to `dispatch` (e.g. `store=` and `catalogue=` for the in-memory doubles).
    """
    customer_id = customer if isinstance(customer, str) else str(customer.pk)
    order_id = order_id or uuid4()
    dispatch(CreateOrder(order_id=order_id, customer_id=customer_id,
                         lines=tuple(RequestedLine(sku=sku, quantity=quantity) for sku, quantity in lines)),
             actor=Actor.customer(customer_id), **dispatch_options)
    return order_id
