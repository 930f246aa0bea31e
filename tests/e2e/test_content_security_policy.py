"""In a real browser, under the Content-Security-Policy: the shop, an order page (htmx polling), the admin
(change form, projections console with htmx, dead letters with a confirm) and Swagger UI work, and
Chromium reports no policy violation."""
from __future__ import annotations

from decimal import Decimal

import pytest

from eventlog import connections
from orders.domain.commands import ReceiveStock
from orders.domain.values import Actor
from orders.handlers import dispatch
from orders.models import Product
from tests.conftest import start_subscribers_at_head
from tests.web.conftest import place, project

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
WAIT_MS = 15_000
# Chromium calls this for every blocked script, style, image, frame or form target.
WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation",
  (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));
"""


def _watched(context) -> tuple[object, list[str]]:
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text)
            if "Content Security Policy" in message.text else None)
    return page, console


def _violations(page, console: list[str]) -> list[str]:
    return [*page.evaluate("window.__csp"), *console]


def test_pages_work_with_no_policy_violations(browser, live_server, django_user_model, redis_client, unique):
    from playwright.sync_api import expect

    expect.set_options(timeout=WAIT_MS)
    start_subscribers_at_head(redis_client, connections.event_store())
    sku = f"CSP-{unique}".upper()
    Product.objects.create(sku=sku, name="Policy mug", unit_price=Decimal("9.50"))
    dispatch(ReceiveStock(sku=sku, quantity=3), actor=Actor.staff("1"))
    customer = django_user_model.objects.create_user("cora", "cora@example.com", "cora-password-1")
    django_user_model.objects.create_user("stan", "stan@example.com", "stan-password-1", is_staff=True,
                                          is_superuser=True)
    pending = place(customer, (sku, 1))  # not projected yet: its page says "Updating" and polls with htmx
    url = live_server.url
    context = browser.new_context()
    context.add_init_script(WATCH)
    page, console = _watched(context)

    page.goto(f"{url}/accounts/login/")
    page.fill("#id_username", "cora")
    page.fill("#id_password", "cora-password-1")
    page.click("button[type=submit]")
    page.goto(f"{url}/orders/{pending}/")
    project()  # the worker's job: the polling page then shows the order by itself
    expect(page.locator("#status")).to_be_visible()
    page.goto(f"{url}/")
    expect(page.locator("tr", has_text=sku)).to_be_visible()
    assert page.evaluate("getComputedStyle(document.querySelector('header.top')).backgroundColor") \
        == "rgb(34, 68, 85)"  # site.css applied (--brand: #245)
    assert _violations(page, console) == []

    page.goto(f"{url}/admin/login/?next=/admin/")
    page.fill("#id_username", "stan")
    page.fill("#id_password", "stan-password-1")
    page.click("input[type=submit]")
    product = Product.objects.get(sku=sku)
    for path, visible in [("/admin/", "#content-main"), (f"/admin/orders/product/{product.pk}/change/", "#id_name"),
                          (f"/admin/orders/order/{pending}/", "#order-status"),
                          ("/admin/projections/subscribers/", "#subscribers"),
                          ("/admin/eventlog/events/", "#event-filter")]:
        page.goto(f"{url}{path}")
        expect(page.locator(visible)).to_be_visible()
        assert _violations(page, console) == [], path

    page.goto(f"{url}/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("ordersys API")
    assert _violations(page, console) == []

    # The watch itself works: an inline style set now is blocked and reported.
    page.evaluate("document.body.setAttribute('style', 'color: red')")
    page.wait_for_timeout(200)
    assert _violations(page, console)
    context.close()
