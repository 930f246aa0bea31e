"""In a real browser: a customer turns order emails off on /account/notifications/ (accessible before and after)."""
from __future__ import annotations

import pytest

from orders.notifications.recipients import wants_order_emails
from tests.e2e.accessibility import CONTEXT_OPTIONS

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_a_customer_turns_order_emails_off(browser, live_server, django_user_model, assert_accessible):
    from playwright.sync_api import expect

    user = django_user_model.objects.create_user("nora", "nora@example.com", "nora-password-1")
    context = browser.new_context(viewport={"width": 1200, "height": 900}, **CONTEXT_OPTIONS)
    page = context.new_page()
    page.goto(f"{live_server.url}/account/notifications/")
    page.fill("#id_username", "nora")  # login required: the login page sends her back here
    page.fill("#id_password", "nora-password-1")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/account/notifications/")
    checkbox = page.get_by_label("Email me when my orders move on")
    expect(checkbox).to_be_checked()
    assert_accessible(page, what="notification settings")

    checkbox.uncheck()
    page.click("text=Save")
    expect(page.locator(".messages")).to_contain_text("Order emails are off.")
    expect(page.get_by_label("Email me when my orders move on")).not_to_be_checked()
    assert_accessible(page, what="notification settings (saved)")
    assert not wants_order_emails(user.pk)
    context.close()
