"""Fixtures for page tests: users of every kind, stocked products, and the real runner in-process.

The event store is shared by the whole run, so every test starts its subscribers at the head and
`project()` then applies only what the test itself wrote, with the production runner.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from decimal import Decimal

import pytest
import redis

from eventlog import connections
from eventlog.subscriptions.runner import run_subscriber
from eventlog.subscriptions.subscribers import all_subscribers
from orders import reading
from orders.domain.commands import ReceiveStock
from orders.domain.values import Actor
from orders.handlers import dispatch
from orders.models import Product
from projections.subscribers import READ_MODELS
from tests.conftest import make_staff, start_subscribers_at_head
from tests.factories import place as place  # the one order factory, re-exported for these tests

STAFF_ACTOR = Actor.staff("1")


def project(*, read_models_only: bool = False) -> int:
    """Run every subscriber (read models and fulfillment) until nothing new is left; events applied."""
    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    subscribers = READ_MODELS if read_models_only else all_subscribers()
    total = 0
    try:
        for _ in range(10):
            store = connections.event_store()
            applied = sum(run_subscriber(s, store=store, redis_client=client).applied for s in subscribers)
            total += applied
            if not applied:
                return total
    finally:
        client.close()
    return total


@pytest.fixture(autouse=True)
def _fast_passwords(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_read_side(redis_client, db, monkeypatch) -> None:
    """Empty Redis, subscribers at the head of the shared store, short waits for read-your-writes."""
    start_subscribers_at_head(redis_client, connections.event_store())
    # Pages wait up to a second for the read models; with nobody projecting, tests need not.
    monkeypatch.setattr(reading, "READ_WAIT_SECONDS", 0.05)
    monkeypatch.setattr(reading, "POLL_WAIT_SECONDS", 0.05)


@pytest.fixture
def customer_a(django_user_model):
    return django_user_model.objects.create_user("alice", "alice@example.com", "alice-password-1")


@pytest.fixture
def customer_b(django_user_model):
    return django_user_model.objects.create_user("bob", "bob@example.com", "bob-password-1")


@pytest.fixture
def staff_user(django_user_model):
    return django_user_model.objects.create_user("sam", "sam@example.com", "sam-password-1", is_staff=True,
                                                 is_superuser=True)


@pytest.fixture
def role_client() -> Callable[..., object]:
    """A logged-in client of a new staff user in `role` (None: staff without any permission)."""
    from django.test import Client

    counter = iter(range(1000))

    def make(role: str | None) -> Client:
        c = Client()
        c.force_login(make_staff(f"{(role or 'nobody').lower()}-{next(counter)}", role=role))
        return c

    return make


@pytest.fixture
def client_a(client, customer_a):
    client.force_login(customer_a)
    return client


@pytest.fixture
def client_b(customer_b):
    from django.test import Client

    c = Client()
    c.force_login(customer_b)
    return c


@pytest.fixture
def staff_client(staff_user):
    from django.test import Client

    c = Client()
    c.force_login(staff_user)
    return c


@pytest.fixture
def stocked(unique) -> Callable[..., str]:
    """Make a product (with units on the shelf, projected); returns its sku."""
    counter = iter(range(1000))

    def make(name: str = "Mug", price: str = "12.50", quantity: int = 10) -> str:
        sku = f"{name[:4]}-{unique}-{next(counter)}".upper()
        Product.objects.create(sku=sku, name=name, unit_price=Decimal(price))
        if quantity:
            dispatch(ReceiveStock(sku=sku, quantity=quantity), actor=STAFF_ACTOR)
        return sku

    return make


