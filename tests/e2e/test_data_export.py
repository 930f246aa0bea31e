"""In a real browser: a customer downloads their data from the account page, and a Support staff member finds
them under Customers and downloads the same data (every page passes axe)."""
from __future__ import annotations

import json
import os
from decimal import Decimal
from pathlib import Path

import pytest
import redis

from eventlog import connections
from orders import roles
from orders.addressbook import book
from orders.domain.addresses import ShippingAddress
from orders.domain.commands import ReceiveStock
from orders.domain.values import Actor
from orders.handlers import dispatch
from orders.models import Product
from tests.conftest import make_staff, start_subscribers_at_head
from tests.e2e.accessibility import CONTEXT_OPTIONS
from tests.e2e.conftest import SCREENSHOTS
from tests.factories import place, project_everything

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
HOME = ShippingAddress(recipient_name="Dora Export", line1="7 Portable Lane", city="Leeds", postal_code="LS1 4AP",
                       country="GB")


def _downloaded(page, click: str) -> dict:
    with page.expect_download() as info:
        page.click(click)
    download = info.value
    assert download.suggested_filename.startswith("ordersys-data-dora-") and download.suggested_filename.endswith(
        ".json")
    return json.loads(Path(download.path()).read_text(encoding="utf-8"))


def test_a_customer_and_support_download_the_customers_data(browser, live_server, django_user_model, unique,
                                                            assert_accessible):
    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    client.flushdb()
    start_subscribers_at_head(client, connections.event_store())  # other tests' events are not ours to project
    client.close()
    sku = f"E2E-EXP-{unique}".upper()
    Product.objects.create(sku=sku, name="Export mug", unit_price=Decimal("9.00"))
    dispatch(ReceiveStock(sku=sku, quantity=5), actor=Actor.staff("1"))
    dora = django_user_model.objects.create_user("dora", "dora@example.com", "dora-password-1")
    book.save(dora, HOME)
    order_id = str(place(dora, (sku, 1), shipping_address=HOME, contact_email="dora@example.com"))
    project_everything()
    make_staff("sue", role=roles.SUPPORT, password="sue-password-1")
    url = live_server.url

    # -- the customer ----------------------------------------------------------------------------------------
    customer = browser.new_context(viewport={"width": 1200, "height": 900}, accept_downloads=True, **CONTEXT_OPTIONS)
    shop = customer.new_page()
    shop.goto(f"{url}/account/")
    shop.fill("#id_username", "dora")  # login required: the login page sends her back here
    shop.fill("#id_password", "dora-password-1")
    shop.click("button[type=submit]")
    shop.wait_for_url(f"{url}/account/")
    assert_accessible(shop, what="account page with Your data")
    shop.screenshot(path=str(SCREENSHOTS / "e2e-export-1-account.png"), full_page=True)
    own = _downloaded(shop, "#download-my-data")
    assert [order["order_id"] for order in own["orders"]] == [order_id]
    assert own["saved_addresses"][0]["line1"] == "7 Portable Lane"
    assert [e["event_type"] for e in own["orders"][0]["events"]][:2] == ["OrderCreated", "OrderConfirmed"]
    customer.close()

    # -- Support -----------------------------------------------------------------------------------------------
    staff = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True, **CONTEXT_OPTIONS)
    admin = staff.new_page()
    admin.goto(f"{url}/admin/login/?next=/admin/")
    admin.fill("#id_username", "sue")
    admin.fill("#id_password", "sue-password-1")
    admin.click("input[type=submit]")
    admin.click("#content-main a[href=\"/admin/customers/\"]")
    assert_accessible(admin, what="admin customers")
    admin.fill("#searchbar", "dora@")
    admin.press("#searchbar", "Enter")
    admin.click("#result_list a:text-is('dora')")
    admin.wait_for_url(f"{url}/admin/customers/{dora.pk}/")
    assert_accessible(admin, what="admin customer page")
    theirs = _downloaded(admin, "#download-data")
    assert {k: v for k, v in theirs.items() if k != "generated_at"} == {k: v for k, v in own.items()
                                                                        if k != "generated_at"}
    admin.reload()
    assert "sue" in admin.locator("#customer-exports").inner_text()
    assert_accessible(admin, what="admin customer page after a download")
    admin.screenshot(path=str(SCREENSHOTS / "e2e-export-2-admin-customer.png"), full_page=True)
    staff.close()
