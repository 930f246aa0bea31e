"""In a real browser: a customer who forgot their password resets it from the mail the live server sent
and logs in with the new one; a new customer signs up with an email and gets the welcome mail; the
account page and email change page. Every page is checked with axe-core."""
from __future__ import annotations

import re

import pytest

from tests.e2e.accessibility import CONTEXT_OPTIONS
from tests.e2e.conftest import SCREENSHOTS

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
WAIT_MS = 10_000
RESET_LINK = re.compile(r"https?://\S+/accounts/reset/\S+/")


@pytest.fixture(autouse=True)
def _fast_passwords(settings) -> None:
    # The live server runs in this process, so it hashes with these too: seconds saved per password.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def shop(browser):
    context = browser.new_context(viewport={"width": 1200, "height": 900}, **CONTEXT_OPTIONS)
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    yield page
    context.close()


def test_a_forgotten_password_is_reset_by_email_and_the_new_one_logs_in(shop, live_server, django_user_model,
                                                                       mailoutbox, assert_accessible):
    from playwright.sync_api import expect

    django_user_model.objects.create_user("fran", "fran@example.com", "fran-old-password-1")
    url = live_server.url

    shop.goto(f"{url}/accounts/login/")
    shop.get_by_role("link", name="Forgot your password?").click()
    expect(shop.locator("h1")).to_have_text("Reset your password")
    assert_accessible(shop, what="password reset form")
    shop.fill("#id_email", "fran@example.com")
    shop.click("button[type=submit]")
    expect(shop.locator("h1")).to_have_text("Check your email")
    assert_accessible(shop, what="password reset sent")

    [message] = mailoutbox  # the mailbox the live server's thread sent to
    assert message.to == ["fran@example.com"]
    [link] = RESET_LINK.findall(message.body)
    shop.goto(link)
    expect(shop.locator("h1")).to_have_text("Set a new password")
    assert "/set-password/" in shop.url  # the token left the address bar
    assert_accessible(shop, what="set a new password")
    shop.fill("#id_new_password1", "short")
    shop.fill("#id_new_password2", "short")
    shop.click("button[type=submit]")
    expect(shop.locator(".errorlist").first).to_contain_text("too short")
    assert_accessible(shop, what="set a new password, with errors")
    shop.screenshot(path=str(SCREENSHOTS / "e2e-accounts-set-password-errors.png"), full_page=True)
    shop.fill("#id_new_password1", "fran-New-password-2")
    shop.fill("#id_new_password2", "fran-New-password-2")
    shop.click("button[type=submit]")
    expect(shop.locator("h1")).to_have_text("Your new password is set")
    assert_accessible(shop, what="password reset complete")

    shop.locator("main").get_by_role("link", name="Log in").click()
    shop.fill("#id_username", "fran")
    shop.fill("#id_password", "fran-New-password-2")
    shop.click("main button[type=submit]")
    shop.wait_for_url(f"{url}/orders/")
    shop.locator("header").get_by_role("link", name="My account").click()
    expect(shop.locator("#account-username")).to_have_text("fran")
    expect(shop.locator("#account-email")).to_have_text("fran@example.com")
    assert_accessible(shop, what="account page")
    shop.screenshot(path=str(SCREENSHOTS / "e2e-accounts-account-page.png"), full_page=True)
    shop.get_by_role("link", name="Change password").click()
    expect(shop.locator("h1")).to_have_text("Change password")
    assert_accessible(shop, what="change password")


def test_signing_up_with_an_email_sends_the_welcome_mail_and_the_email_can_be_changed(
        shop, live_server, django_user_model, mailoutbox, assert_accessible):
    from playwright.sync_api import expect

    django_user_model.objects.create_user("gus", "taken@example.com", "gus-password-1")
    url = live_server.url

    shop.goto(f"{url}/accounts/signup/")
    shop.fill("#id_username", "hana")
    shop.fill("#id_email", "TAKEN@example.com")
    shop.fill("#id_password1", "hana-Password-123")
    shop.fill("#id_password2", "hana-Password-123")
    shop.click("main button[type=submit]")
    expect(shop.locator(".errorlist").first).to_contain_text("An account with this email already exists.")
    assert_accessible(shop, what="sign-up with an error")
    shop.fill("#id_email", "hana@example.com")
    shop.fill("#id_password1", "hana-Password-123")
    shop.fill("#id_password2", "hana-Password-123")
    shop.click("main button[type=submit]")
    expect(shop.locator(".messages")).to_contain_text("Welcome, hana!")

    [welcome] = mailoutbox
    assert welcome.to == ["hana@example.com"] and welcome.subject == "Welcome to ordersys shop"

    shop.locator("header").get_by_role("link", name="My account").click()
    shop.get_by_role("link", name="Change email address").click()
    assert_accessible(shop, what="change email")
    shop.fill("#id_new_email", "hana.new@example.com")
    shop.fill("#id_password", "hana-Password-123")
    shop.click("main button[type=submit]")
    expect(shop.locator(".messages")).to_contain_text("We sent a link to hana.new@example.com")
    confirm = mailoutbox[1]
    [link] = [word for word in confirm.body.split() if "/account/email/confirm/" in word]
    shop.goto(link)
    expect(shop.locator("#new-email")).to_have_text("hana.new@example.com")
    assert_accessible(shop, what="confirm new email")
    shop.click("main button[type=submit]")
    expect(shop.locator("#account-email")).to_have_text("hana.new@example.com")
    assert [m.to for m in mailoutbox[2:]] == [["hana@example.com"]]  # the notice to the old address

    shop.goto(link)  # used: refused, and the page says why
    expect(shop.locator("#link-problem")).to_contain_text("no longer valid")
    assert_accessible(shop, what="email change link refused")
    shop.goto(f"{url}/accounts/reset/MQ/not-a-token/")
    expect(shop.locator("#link-problem")).to_be_visible()
    assert_accessible(shop, what="password reset link refused")
