"""In a real browser: a customer deletes their account (password once more), is signed out and sees the goodbye page;
each page on the way passes axe-core."""
from __future__ import annotations

import random

import pytest

from tests.e2e.accessibility import CONTEXT_OPTIONS

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_a_customer_deletes_their_account(browser, live_server, django_user_model, assert_accessible):
    from playwright.sync_api import expect

    # An id never used before in this run: the erasure's event stream outlives the test's database.
    user = django_user_model.objects.create_user("olga", "olga@example.com", "olga-password-1",
                                                 pk=random.randrange(10**8, 10**9))
    context = browser.new_context(viewport={"width": 1200, "height": 900}, **CONTEXT_OPTIONS)
    page = context.new_page()
    page.goto(f"{live_server.url}/account/")
    page.fill("#id_username", "olga")
    page.fill("#id_password", "olga-password-1")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/account/")
    page.get_by_role("link", name="Delete my account").click()
    page.wait_for_url(f"{live_server.url}/account/delete/")
    expect(page.locator("h1")).to_have_text("Delete my account")
    assert_accessible(page, what="delete my account")

    page.get_by_label("Current password").fill("not-my-password")
    page.get_by_role("button", name="Delete my account").click()
    expect(page.locator(".errorlist")).to_contain_text("Nothing was deleted")
    assert_accessible(page, what="delete my account (wrong password)")
    user.refresh_from_db()
    assert user.is_active

    page.get_by_label("Current password").fill("olga-password-1")
    page.get_by_role("button", name="Delete my account").click()
    page.wait_for_url(f"{live_server.url}/account/deleted/")
    expect(page.locator("h1")).to_have_text("Your account is deleted")
    assert_accessible(page, what="account deleted")
    user.refresh_from_db()
    assert not user.is_active and user.username == f"erased-{user.pk}"
    page.goto(f"{live_server.url}/account/")
    assert "/accounts/login/" in page.url  # signed out
    context.close()


def test_staff_erase_a_customer_on_request(browser, live_server, django_user_model, assert_accessible):
    from playwright.sync_api import expect

    from orders import roles
    from tests.conftest import make_staff

    customer = django_user_model.objects.create_user("pavel", "pavel@example.com", "pavel-password-1",
                                                     pk=random.randrange(10**8, 10**9))
    make_staff("sonia", role=roles.SUPPORT, password="sonia-password-1")  # Support erases on request
    context = browser.new_context(viewport={"width": 1200, "height": 900}, **CONTEXT_OPTIONS)
    page = context.new_page()
    page.goto(f"{live_server.url}/admin/login/?next=/admin/customers/{customer.pk}/erase/")
    page.fill("#id_username", "sonia")
    page.fill("#id_password", "sonia-password-1")
    page.click("input[type=submit]")
    expect(page.locator("#customer-name")).to_have_text("pavel")
    assert_accessible(page, what="erase a customer")

    page.click("#erase")
    expect(page.locator("#erased-notice")).to_contain_text(f"erased-{customer.pk}")
    assert_accessible(page, what="customer erased")
    customer.refresh_from_db()
    assert not customer.is_active
    context.close()
