"""In a real browser, with a real worker: a customer orders and pays, and the staff dashboard shows that revenue
today, in its figures, its table and its chart's point for the day."""
from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from orders.addressbook import book as addressbook
from orders.domain.commands import ReceiveStock
from orders.domain.values import Actor
from orders.handlers import dispatch
from orders.models import Product
from orders.roles import OPERATIONS
from tests.conftest import make_staff
from tests.e2e.accessibility import CONTEXT_OPTIONS
from tests.e2e.conftest import SCREENSHOTS
from tests.e2e.test_shop_and_admin import WAIT_MS, reload_until
from tests.factories import ADDRESS

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_the_dashboard_shows_an_order_paid_today(browser, celery_worker, live_server, django_user_model, unique,
                                                 assert_accessible):
    from playwright.sync_api import expect

    expect.set_options(timeout=WAIT_MS)
    sku = f"E2E-DASH-{unique}".upper()
    Product.objects.create(sku=sku, name="Dashboard mug", unit_price=Decimal("12.50"))
    dispatch(ReceiveStock(sku=sku, quantity=5), actor=Actor.staff("1"))
    dana = django_user_model.objects.create_user("dana", "dana@example.com", "dana-password-1")
    addressbook.save(dana, ADDRESS)  # checkout picks the saved address
    make_staff("olga", role=OPERATIONS, password="olga-password-1")
    url = live_server.url

    # -- a customer orders two mugs and pays -----------------------------------------------------------------
    customer = browser.new_context(viewport={"width": 1200, "height": 900}, **CONTEXT_OPTIONS)
    shop = customer.new_page()
    shop.set_default_timeout(WAIT_MS)
    shop.goto(f"{url}/accounts/login/")
    shop.fill("#id_username", "dana")
    shop.fill("#id_password", "dana-password-1")
    shop.click("button[type=submit]")
    row = shop.locator("tr", has_text=sku)
    reload_until(shop, f"{url}/", lambda: "5 in stock" in row.inner_text())
    row.locator("input.qty").fill("2")
    shop.click("text=Place order")
    shop.wait_for_url(re.compile(r"/orders/[0-9a-f-]{36}/$"))
    expect(shop.locator("#status")).to_have_text("Confirmed")
    shop.click("#pay")
    expect(shop.locator("#status")).to_have_text("Paid")

    # -- staff open the admin: the dashboard is the first thing they see -------------------------------------
    today = datetime.now(UTC).date().isoformat()
    staff = browser.new_context(viewport={"width": 1400, "height": 1000}, **CONTEXT_OPTIONS)
    admin = staff.new_page()
    admin.set_default_timeout(WAIT_MS)
    admin.goto(f"{url}/admin/login/?next=/admin/")
    expect(admin.locator("#site-name")).to_have_text("ordersys back office")
    admin.fill("#id_username", "olga")
    admin.fill("#id_password", "olga-password-1")
    admin.click("input[type=submit]")
    today_row = admin.locator('#sales-periods tr[data-period="1"][data-currency="EUR"]')
    # The worker projects the payment into the sales read model in its own time.
    reload_until(admin, f"{url}/admin/", lambda: today_row.count() == 1 and "25.00 EUR" in today_row.inner_text())
    expect(today_row.locator(".es-revenue")).to_have_text("25.00 EUR")
    point = admin.locator(f'svg#chart-revenue-eur circle[data-day="{today}"]')
    expect(point).to_have_attribute("data-value", "25")
    expect(point.locator("title")).to_have_text(f"{today}: 25.00 EUR")
    expect(admin.locator(f'svg#chart-orders rect[data-day="{today}"]')).to_have_attribute("data-value", "1")
    expect(admin.get_by_role("img", name=re.compile("Revenue per day in EUR"))).to_be_visible()
    expect(admin.locator('#panel-statuses tr[data-status="PAID"] td')).to_have_text("1")
    expect(admin.locator("#panel-top-products")).to_contain_text(sku)
    expect(admin.locator('#panel-health tr[data-subscriber="sales"]')).to_be_visible()
    admin.locator("#panel-charts summary").click()  # the charts' numbers as a table
    expect(admin.locator(f'#sales-days tr[data-day="{today}"]')).to_contain_text("25.00 EUR")
    assert_accessible(admin, what="staff dashboard")
    admin.screenshot(path=str(SCREENSHOTS / "e2e-dashboard.png"), full_page=True)
    customer.close()
    staff.close()
