"""Every response carries the Content-Security-Policy, and no page needs what it forbids: no inline
<script> or <style>, no style="..." or on...="..." attributes (the policy would block them)."""
from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.test import Client

from orders.models import Product
from tests.web.conftest import place, project

pytestmark = pytest.mark.django_db


class _InlineFinder(HTMLParser):
    """Collects what a `default-src 'self'` policy blocks in a page."""

    def __init__(self) -> None:
        super().__init__()
        self.blocked: list[str] = []
        self._open: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        self.blocked += [f"<{tag} {name}=...>" for name in names if name == "style" or name.startswith("on")]
        if tag == "style":
            self.blocked.append("<style>")
        if tag == "script" and not names.get("src"):
            self._open = "script"

    def handle_data(self, data: str) -> None:
        if self._open == "script" and data.strip():
            self.blocked.append(f"inline <script>: {data.strip()[:60]}")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._open = None


def _check(response) -> None:
    assert response.status_code in (200, 429), (response.status_code, response.content[:300])
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "unsafe-inline" not in policy
    if response["Content-Type"].startswith("text/html"):
        finder = _InlineFinder()
        finder.feed(response.content.decode())
        assert finder.blocked == [], finder.blocked


@pytest.mark.parametrize("url", ["/", "/accounts/login/", "/accounts/signup/", "/admin/login/", "/api/docs/",
                                 "/api/products/", "/api/schema/"])
def test_anonymous_pages(client, url, stocked):
    stocked()
    project(read_models_only=True)
    _check(client.get(url))


def test_customer_pages(client_a, customer_a, stocked):
    order_id = place(customer_a, (stocked(), 1))
    project()
    for url in ["/", "/orders/", f"/orders/{order_id}/", "/account/", "/account/export/"]:
        _check(client_a.get(url))


def test_admin_pages(staff_client, customer_a, stocked):
    sku = stocked()
    order_id = place(customer_a, (sku, 1))
    project()
    product = Product.objects.get(sku=sku)
    for url in ["/admin/", "/admin/orders/order/", f"/admin/orders/order/{order_id}/", "/admin/eventlog/events/",
                f"/admin/eventlog/stream/order-{order_id}/", "/admin/projections/subscribers/",
                "/admin/projections/subscribers/orders/dead-letters/", "/admin/orders/product/",
                f"/admin/orders/product/{product.pk}/change/", "/admin/orders/product/add/",
                "/admin/knox/authtoken/", "/admin/axes/accessattempt/", "/admin/auth/user/",
                "/admin/password_change/", "/admin/customers/", f"/admin/customers/{customer_a.pk}/"]:
        _check(staff_client.get(url))


def test_the_lockout_page(customer_a):
    for _ in range(5):
        response = Client().post("/accounts/login/", {"username": "alice", "password": "wrong"})
    _check(response)
    assert response.status_code == 429
