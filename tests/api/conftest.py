"""API test fixtures: users with tokens (customers A and B, staff), a catalogue with stock, and a way
to make the read models current by running the real subscribers in-process."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from knox.models import AuthToken
from rest_framework.test import APIClient

from eventlog import connections
from eventlog.subscriptions.runner import run_subscriber
from eventlog.subscriptions.subscribers import all_subscribers
from orders.domain.commands import ReceiveStock
from orders.domain.values import Actor
from orders.handlers import dispatch
from orders.models import Product
from orders.roles import OPERATIONS, SUPPORT, WAREHOUSE
from tests.conftest import make_staff, start_subscribers_at_head

PASSWORD = "correct horse battery staple"


@dataclass
class Caller:
    """A client as one kind of user ("anonymous" has no user)."""

    name: str
    client: APIClient
    user: object | None = None
    token: str | None = None


@dataclass
class Catalogue:
    """Products of this test: a mug (12.50, 10 in stock), a tee (19.90, 5 in stock), an inactive one."""

    mug: str
    tee: str
    old: str


@pytest.fixture(autouse=True)
def _fast_passwords(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_read_side(redis_client, app_store) -> None:
    """Empty Redis, subscribers starting at the head: the shared event store's history is not ours."""
    start_subscribers_at_head(redis_client, app_store)


@pytest.fixture
def catch_up(redis_client) -> Callable[[], None]:
    """Run every subscriber (read models and fulfillment) until nothing is left to apply."""

    def run() -> None:
        for _ in range(6):
            applied = sum(run_subscriber(candidate, store=connections.event_store(), redis_client=redis_client).applied
                          for candidate in all_subscribers())
            if not applied:
                return

    return run


def _user(username: str):
    return get_user_model().objects.create_user(username=username, password=PASSWORD,
                                                email=f"{username}@example.com")


def _caller(name: str, user=None) -> Caller:
    client = APIClient()
    token = None
    if user is not None:
        _, token = AuthToken.objects.create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return Caller(name, client, user, token)


@pytest.fixture
def customer_a(db, unique) -> Caller:
    return _caller("customer_a", _user(f"alice-{unique}"))


@pytest.fixture
def customer_b(db, unique) -> Caller:
    return _caller("customer_b", _user(f"bob-{unique}"))


@pytest.fixture
def staff(db, unique) -> Caller:
    """Staff in the Operations role (every staff permission)."""
    return _caller("staff", make_staff(f"sam-{unique}", role=OPERATIONS, password=PASSWORD))


@pytest.fixture
def staff_without_permissions(db, unique) -> Caller:
    """Staff (`is_staff`) holding no permission: may open the admin, nothing more."""
    return _caller("staff_without_permissions", make_staff(f"nemo-{unique}", password=PASSWORD))


@pytest.fixture
def support(db, unique) -> Caller:
    return _caller("support", make_staff(f"sue-{unique}", role=SUPPORT, password=PASSWORD))


@pytest.fixture
def warehouse(db, unique) -> Caller:
    return _caller("warehouse", make_staff(f"walt-{unique}", role=WAREHOUSE, password=PASSWORD))


@pytest.fixture
def superuser(db, unique) -> Caller:
    return _caller("superuser", make_staff(f"root-{unique}", superuser=True, password=PASSWORD))


@pytest.fixture
def anonymous() -> Caller:
    return _caller("anonymous")


@pytest.fixture
def callers(anonymous, customer_a, customer_b, staff) -> dict[str, Caller]:
    return {c.name: c for c in (anonymous, customer_a, customer_b, staff)}


@pytest.fixture
def catalogue(db, unique) -> Catalogue:
    mug, tee, old = (f"{stem}-{unique}".upper() for stem in ("MUG", "TEE", "OLD"))
    Product.objects.create(sku=mug, name="Mug", unit_price=Decimal("12.50"))
    Product.objects.create(sku=tee, name="Tee", unit_price=Decimal("19.90"))
    Product.objects.create(sku=old, name="Old", unit_price=Decimal("1.00"), active=False)
    dispatch(ReceiveStock(sku=mug, quantity=10), actor=Actor.staff("0"))
    dispatch(ReceiveStock(sku=tee, quantity=5), actor=Actor.staff("0"))
    return Catalogue(mug, tee, old)


# Where API test orders ship.
SHIPPING_ADDRESS = {"recipient_name": "Alice Example", "line1": "1 Main Street", "city": "Berlin",
                    "postal_code": "10115", "country": "DE"}


def post_order(caller: Caller, *lines: tuple[str, int], **headers: str):
    """POST /api/orders/ as `caller`; returns the response."""
    body = {"lines": [{"sku": sku, "quantity": quantity} for sku, quantity in lines],
            "shipping_address": SHIPPING_ADDRESS}
    if not getattr(caller.user, "email", ""):  # staff made by make_staff have none to default to
        body["contact_email"] = "orders@example.com"
    return caller.client.post("/api/orders/", body, format="json", **headers)


def problem(response, status: int) -> dict:
    """Assert a problem-details response with this status; return its body."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/problem+json"), response["Content-Type"]
    body = response.json()
    assert body["status"] == status and body["type"] and body["title"] and body["detail"] is not None
    assert body["instance"]
    return body
