"""Test data made through the real write side: one way to place an order in every test suite."""
from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

from eventlog.ports import EventStorePort
from orders.domain.addresses import ShippingAddress
from orders.domain.commands import CreateOrder, RequestedLine
from orders.domain.values import Actor
from orders.handlers import Catalogue, dispatch

# Where test orders ship unless a test says otherwise.
ADDRESS = ShippingAddress(recipient_name="Ada Lovelace", line1="12 Example Street", city="London",
                          postal_code="N1 9GU", country="GB")
CONTACT_EMAIL = "customer@example.com"


def place(customer: Any, *lines: tuple[str, int], order_id: UUID | None = None,
          store: EventStorePort | None = None, catalogue: Catalogue | None = None,
          shipping_address: ShippingAddress | None = ADDRESS, contact_email: str | None = CONTACT_EMAIL,
          **dispatch_options: Any) -> UUID:
    """Place an order straight through `dispatch` as the customer (a user or a customer id); returns its id.

    `store` and `catalogue` default to the real ones (pass the in-memory doubles in unit tests); other
    `dispatch_options` go to `dispatch` unchanged.
    """
    customer_id = customer if isinstance(customer, str) else str(customer.pk)
    order_id = order_id or uuid4()
    dispatch(CreateOrder(order_id=order_id, customer_id=customer_id,
                         lines=tuple(RequestedLine(sku=sku, quantity=quantity) for sku, quantity in lines),
                         shipping_address=shipping_address, contact_email=contact_email),
             actor=Actor.customer(customer_id), store=store, catalogue=catalogue, **dispatch_options)
    return order_id


def project_everything(*, rounds: int = 10) -> None:
    """Run every subscriber (read models and the process manager) in-process until nothing is left to apply."""
    import os

    import redis

    from eventlog import connections
    from eventlog.subscriptions.runner import run_subscriber
    from eventlog.subscriptions.subscribers import all_subscribers

    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    try:
        for _ in range(rounds):
            store = connections.event_store()
            if not sum(run_subscriber(s, store=store, redis_client=client).applied for s in all_subscribers()):
                return
    finally:
        client.close()
