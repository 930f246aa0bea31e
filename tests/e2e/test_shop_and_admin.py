"""In a real browser: a customer orders with a new address and sees it confirmed, a Warehouse staff member
prints the packing slip and ships it in the admin, the customer sees it shipped with its timeline and has
the "confirmed" and "shipped" emails, and staff follow the correlation id across order and inventory."""
from __future__ import annotations

import re
import time
from decimal import Decimal

import pytest

from orders import roles
from orders.domain.commands import ReceiveStock
from orders.domain.values import Actor
from orders.handlers import dispatch
from orders.models import Product
from tests.conftest import make_staff
from tests.e2e.accessibility import CONTEXT_OPTIONS
from tests.e2e.conftest import SCREENSHOTS
from tests.mailbox import file_mailbox, plain_text

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
WAIT_MS = 20_000  # the worker confirms within a second or two; allow for a slow machine


def reload_until(page, url: str, check, *, timeout: float = WAIT_MS / 1000) -> None:
    """Open `url` again until `check()` holds (for pages that do not refresh themselves)."""
    deadline = time.monotonic() + timeout
    while True:
        page.goto(url)
        if check():
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{url} never showed what was expected")
        time.sleep(0.2)


def test_order_confirm_ship_and_follow_it_through_the_event_browser(browser, celery_worker, live_server,
                                                                     django_user_model, unique, assert_accessible):
    from playwright.sync_api import expect

    expect.set_options(timeout=WAIT_MS)
    sku = f"E2E-MUG-{unique}".upper()
    Product.objects.create(sku=sku, name="Browser mug", description="For the e2e test.", unit_price=Decimal("12.50"))
    dispatch(ReceiveStock(sku=sku, quantity=5), actor=Actor.staff("1"))
    django_user_model.objects.create_user("erin", "erin@example.com", "erin-password-1")
    make_staff("wendy", role=roles.WAREHOUSE, password="wendy-password-1")
    django_user_model.objects.create_user("stella", "stella@example.com", "stella-password-1", is_staff=True,
                                          is_superuser=True)
    url = live_server.url

    # -- the customer places an order and sees it confirmed --------------------------------------------------
    customer = browser.new_context(viewport={"width": 1200, "height": 900}, **CONTEXT_OPTIONS)
    shop = customer.new_page()
    shop.set_default_timeout(WAIT_MS)
    for public in ("/", "/accounts/signup/"):
        shop.goto(f"{url}{public}")
        assert_accessible(shop)
    shop.goto(f"{url}/accounts/login/")
    assert_accessible(shop)
    shop.fill("#id_username", "erin")
    shop.fill("#id_password", "erin-password-1")
    shop.click("button[type=submit]")
    row = shop.locator("tr", has_text=sku)
    reload_until(shop, f"{url}/", lambda: "5 in stock" in row.inner_text())  # the worker projects the delivery
    assert_accessible(shop, what="catalogue with the order form")
    row.locator("input.qty").fill("2")
    # A new address, kept for next time; the contact email is the account's already.
    expect(shop.locator("#id_contact_email")).to_have_value("erin@example.com")
    shop.fill("#id_recipient_name", "Erin Example")
    shop.fill("#id_line1", "5 Harbour Road")
    shop.fill("#id_postal_code", "")  # forgotten: the page says which field, and nothing is ordered
    shop.fill("#id_city", "Dublin")
    shop.select_option("#id_country", "IE")
    shop.check("#id_save_address")
    shop.click("text=Place order")
    expect(shop.locator("#shipping")).to_contain_text("This field is required.")
    assert_accessible(shop, what="order form with an address error")
    row.locator("input.qty").fill("2")
    shop.fill("#id_postal_code", "D02 XY45")
    shop.check("#id_save_address")
    shop.click("text=Place order")
    shop.wait_for_url(re.compile(r"/orders/[0-9a-f-]{36}/$"))
    expect(shop.locator("#shipping-address")).to_contain_text("5 Harbour Road")
    expect(shop.locator("#shipping-address")).to_contain_text("D02 XY45 Dublin")
    order_url = shop.url
    order_id = order_url.rstrip("/").rsplit("/", 1)[1]
    # Straight away, or after "Updating..." polls itself: the fulfillment worker confirms it.
    expect(shop.locator("#status")).to_have_text("Confirmed")
    expect(shop.locator("#timeline")).to_contain_text("Order placed: 2 items, 25.00 EUR")
    expect(shop.locator("#timeline")).to_contain_text("Confirmed: all items reserved")
    assert_accessible(shop, what="order page (confirmed)")
    shop.screenshot(path=str(SCREENSHOTS / "e2e-1-customer-confirmed.png"), full_page=True)
    shop.click("#pay")
    expect(shop.locator("#status")).to_have_text("Paid")
    expect(shop.locator("#timeline")).to_contain_text("Payment received: 25.00")

    # -- staff ship it in the admin --------------------------------------------------------------------------
    staff = browser.new_context(viewport={"width": 1400, "height": 1000}, **CONTEXT_OPTIONS)
    admin = staff.new_page()
    admin.set_default_timeout(WAIT_MS)
    admin.goto(f"{url}/admin/login/?next=/admin/")
    assert_accessible(admin)
    admin.fill("#id_username", "wendy")  # Warehouse: orders, packing slips, shipping
    admin.fill("#id_password", "wendy-password-1")
    admin.click("input[type=submit]")
    assert_accessible(admin, what="admin index")
    admin.click("#content-main a[href=\"/admin/orders/order/\"]")
    expect(admin.locator("#result_list")).to_contain_text(order_id)
    assert_accessible(admin, what="admin order list")
    admin.fill("#searchbar", order_id)
    admin.press("#searchbar", "Enter")
    admin.click(f"text={order_id}")
    expect(admin.locator("#order-status")).to_have_text("Paid")
    assert_accessible(admin, what="admin order page")
    expect(admin.locator("#shipping-address")).to_contain_text("5 Harbour Road")
    admin.click("#packing-slip")
    expect(admin.locator(".slip")).to_contain_text("D02 XY45 Dublin")
    expect(admin.locator(".slip svg")).to_have_count(1)  # the order id as a QR code
    assert_accessible(admin, what="packing slip")
    admin.go_back()
    admin.fill("#id_ship_carrier", "DHL")
    admin.fill("#id_ship_tracking_number", "JD0146000012")
    admin.click("#action-ship input[type=submit]")
    expect(admin.locator("ul.messagelist")).to_contain_text("Ship: done")
    expect(admin.locator("#order-status")).to_have_text("Shipped")
    expect(admin.locator("#tracking")).to_contain_text("DHL JD0146000012")
    admin.screenshot(path=str(SCREENSHOTS / "e2e-2-admin-shipped.png"), full_page=True)

    # -- the customer sees "Shipped" and the timeline ---------------------------------------------------------
    shop.goto(order_url)
    expect(shop.locator("#status")).to_have_text("Shipped")
    expect(shop.locator("#tracking")).to_contain_text("DHL JD0146000012")
    expect(shop.locator("#timeline")).to_contain_text("Shipped with DHL, tracking JD0146000012")
    expect(shop.locator("#timeline li")).to_have_count(4)  # placed, confirmed, paid, shipped
    expect(shop.locator("#pay")).to_have_count(0)
    assert_accessible(shop, what="order page (shipped)")
    shop.goto(f"{url}/orders/")
    expect(shop.locator("main")).to_contain_text(order_id[:8])
    assert_accessible(shop, what="my orders")
    shop.goto(f"{url}/account/addresses/")
    expect(shop.locator("#saved-addresses")).to_contain_text("5 Harbour Road")
    assert_accessible(shop, what="saved addresses")
    shop.goto(order_url)
    shop.screenshot(path=str(SCREENSHOTS / "e2e-3-customer-shipped.png"), full_page=True)

    # -- the customer's mailbox: "confirmed" and "shipped" with the tracking number -------------------------------
    short = order_id[:8]
    wanted = {f"Order {short} confirmed", f"Order {short} shipped"}
    deadline = time.monotonic() + WAIT_MS / 1000
    while not wanted <= {str(m["Subject"]) for m in file_mailbox(celery_worker)} and time.monotonic() < deadline:
        time.sleep(0.2)
    mails = {str(m["Subject"]): m for m in file_mailbox(celery_worker) if short in str(m["Subject"])}
    assert wanted <= set(mails), sorted(mails)
    assert all(m["To"] == "erin@example.com" for m in mails.values())
    assert "JD0146000012" in plain_text(mails[f"Order {short} shipped"])

    # -- staff with the event log's permission follow the correlation id: the order and its inventory ----------
    staff.close()
    staff = browser.new_context(viewport={"width": 1400, "height": 1000}, **CONTEXT_OPTIONS)
    admin = staff.new_page()
    admin.set_default_timeout(WAIT_MS)
    admin.goto(f"{url}/admin/login/?next=/admin/orders/order/{order_id}/")
    admin.fill("#id_username", "stella")
    admin.fill("#id_password", "stella-password-1")
    admin.click("input[type=submit]")
    admin.click("#correlated-events")
    expect(admin.locator("#correlation-summary")).to_contain_text(f"order-{order_id}")
    expect(admin.locator("#correlation-summary")).to_contain_text(f"inventory-{sku}")
    events = admin.locator("#events")
    for event_type in ("OrderCreated", "StockReserved", "OrderConfirmed"):
        expect(events).to_contain_text(event_type)
    admin.screenshot(path=str(SCREENSHOTS / "e2e-4-event-browser.png"), full_page=True)
    assert_accessible(admin, what="event browser")

    # ...and the order's timeline as of its first version.
    admin.click(f"#events >> text=order-{order_id} >> nth=-1")
    expect(admin.locator("#as-of")).to_contain_text("State as of version 0")
    expect(admin.locator("#state")).to_contain_text('"status": "PENDING"')
    assert_accessible(admin, what="stream timeline")
    customer.close()
    staff.close()
