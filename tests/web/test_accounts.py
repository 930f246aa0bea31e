"""Accounts customers run themselves: the account page, password reset and change, email change by a
confirmed link, and the welcome mail; bad input and bad links change nothing."""
from __future__ import annotations

import re
import time

import pytest
from django.core.mail.backends.base import BaseEmailBackend
from django.test import Client
from django.urls import reverse

from orders.web.account import email_link

PASSWORD = "alice-password-1"  # customer_a's
NEW_PASSWORD = "a-Brand-new-pass-42"
LINK = re.compile(r"https?://[^\s\"<]+")


class FailingMailServer(BaseEmailBackend):
    """A mail server that refuses every message (as an unreachable SMTP server does)."""

    def send_messages(self, email_messages):
        raise ConnectionRefusedError("mail server down")


@pytest.fixture
def mail_server_down(settings) -> None:
    settings.EMAIL_BACKEND = f"{__name__}.FailingMailServer"


def links_in(message, *, containing: str) -> list[str]:
    """The links to our pages in a mail's text body; the HTML body must carry the same ones."""
    found = [link for link in LINK.findall(message.body) if containing in link]
    [(html, mime)] = message.alternatives
    assert mime == "text/html" and all(link in html for link in found)
    return found


def the_link(message, *, containing: str) -> str:
    [link] = links_in(message, containing=containing)
    return link.removeprefix("http://testserver")


def log_in(username: str, password: str, **extra: str):
    return Client().post(reverse("web:login"), {"username": username, "password": password}, **extra)


# -- the account page ---------------------------------------------------------------------------------


def test_the_account_page_shows_who_i_am_and_links_to_what_i_can_change(client_a):
    page = client_a.get("/account/").content.decode()

    assert 'id="account-username">alice<' in page and 'id="account-email">alice@example.com<' in page
    assert 'href="/account/password/"' in page and 'href="/account/email/"' in page
    assert 'href="/account/">My account</a>' in client_a.get("/").content.decode()  # in the header


def test_the_account_page_needs_a_login(client):
    response = client.get("/account/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=/account/")
    assert "My account" not in client.get("/").content.decode()


# -- password reset -----------------------------------------------------------------------------------


def test_a_reset_link_by_email_sets_a_new_password_to_log_in_with(client, customer_a, mailoutbox):
    response = client.post("/accounts/password-reset/", {"email": "ALICE@example.com"})  # any case
    assert response.status_code == 302 and response["Location"] == "/accounts/password-reset/sent/"
    [message] = mailoutbox
    assert message.to == ["alice@example.com"] and message.subject == "Reset your ordersys shop password"
    link = the_link(message, containing="/accounts/reset/")

    form_page = client.get(link, follow=True)  # Django moves the token out of the URL into the session
    assert "Set a new password" in form_page.content.decode()
    done = client.post(form_page.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD,
                                                         "new_password2": NEW_PASSWORD})

    assert done.status_code == 302 and done["Location"] == "/accounts/reset/done/"
    assert log_in("alice", NEW_PASSWORD).status_code == 302
    assert log_in("alice", PASSWORD).status_code == 200  # the old one is refused
    again = client.get(link, follow=True).content.decode()
    assert "This reset link is not valid" in again  # a link works once


def test_asking_for_an_unknown_address_looks_exactly_like_a_known_one(client, customer_a, mailoutbox):
    known = client.post("/accounts/password-reset/", {"email": "alice@example.com"})
    unknown = client.post("/accounts/password-reset/", {"email": "nobody@example.com"})

    assert (unknown.status_code, unknown["Location"]) == (known.status_code, known["Location"])
    assert [m.to for m in mailoutbox] == [["alice@example.com"]]


def test_a_bad_reset_request_or_link_is_refused_and_changes_nothing(client, customer_a, mailoutbox):
    bad_email = client.post("/accounts/password-reset/", {"email": "not an address"})
    assert bad_email.status_code == 400 and "Enter a valid email address" in bad_email.content.decode()

    tampered = client.get("/accounts/reset/MQ/abc-def/", follow=True).content.decode()
    assert "This reset link is not valid" in tampered and 'name="new_password1"' not in tampered
    assert not mailoutbox


def test_a_new_password_the_rules_refuse_is_shown_with_its_error(client, customer_a, mailoutbox):
    client.post("/accounts/password-reset/", {"email": "alice@example.com"})
    form_url = client.get(the_link(mailoutbox[0], containing="/accounts/reset/"), follow=True).redirect_chain[-1][0]

    response = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD + "x"})

    assert response.status_code == 400 and "didn’t match" in response.content.decode()
    customer_a.refresh_from_db()
    assert customer_a.check_password(PASSWORD)


def test_a_reset_lifts_the_lockout_of_the_username(client, customer_a, mailoutbox):
    guesser, owner = {"REMOTE_ADDR": "192.0.2.50"}, {"REMOTE_ADDR": "192.0.2.51"}
    for _ in range(5):
        log_in("alice", "wrong-guess", **guesser)
    assert log_in("alice", PASSWORD, **owner).status_code == 429  # the username is locked everywhere

    assert client.get("/accounts/password-reset/", **owner).status_code == 200  # the way out stays open
    client.post("/accounts/password-reset/", {"email": "alice@example.com"}, **owner)
    form_url = client.get(the_link(mailoutbox[0], containing="/accounts/reset/"), follow=True).redirect_chain[-1][0]
    client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}, **owner)

    assert log_in("alice", NEW_PASSWORD, **owner).status_code == 302
    assert log_in("alice", "wrong-guess", **guesser).status_code == 200  # counted again from zero, not locked


def test_a_failing_mail_server_does_not_break_the_reset_page(client, customer_a, mail_server_down):
    response = client.post("/accounts/password-reset/", {"email": "alice@example.com"})
    assert response.status_code == 302 and response["Location"] == "/accounts/password-reset/sent/"


# -- password change ----------------------------------------------------------------------------------


def test_changing_the_password_keeps_me_signed_in_and_tells_my_mailbox(client_a, mailoutbox):
    response = client_a.post("/account/password/", {"old_password": PASSWORD, "new_password1": NEW_PASSWORD,
                                                    "new_password2": NEW_PASSWORD})

    assert response.status_code == 302 and response["Location"] == "/account/"
    assert "Your password was changed." in client_a.get("/account/").content.decode()  # still signed in
    assert log_in("alice", NEW_PASSWORD).status_code == 302
    [notice] = mailoutbox
    assert notice.to == ["alice@example.com"] and "password was changed" in notice.subject


def test_a_wrong_current_password_changes_nothing(client_a, customer_a, mailoutbox):
    response = client_a.post("/account/password/", {"old_password": "wrong", "new_password1": NEW_PASSWORD,
                                                    "new_password2": NEW_PASSWORD})

    assert response.status_code == 400 and "Your old password was entered incorrectly" in response.content.decode()
    customer_a.refresh_from_db()
    assert customer_a.check_password(PASSWORD) and not mailoutbox


# -- email change -------------------------------------------------------------------------------------


def ask_for(client: Client, new_email: str, password: str = PASSWORD):
    return client.post("/account/email/", {"new_email": new_email, "password": password})


def test_the_email_changes_only_when_the_link_sent_to_the_new_address_is_followed(client_a, customer_a,
                                                                                mailoutbox):
    response = ask_for(client_a, "alice.new@example.com")

    assert response.status_code == 302 and response["Location"] == "/account/"
    [confirm] = mailoutbox
    assert confirm.to == ["alice.new@example.com"] and confirm.subject == "Confirm your new email address"
    link = the_link(confirm, containing="/account/email/confirm/")
    customer_a.refresh_from_db()
    assert customer_a.email == "alice@example.com"  # not yet

    page = Client().get(link)  # a mail scanner, or the customer on another device: a GET changes nothing
    assert page.status_code == 200 and "alice.new@example.com" in page.content.decode()
    customer_a.refresh_from_db()
    assert customer_a.email == "alice@example.com"

    done = client_a.post(link)

    assert done.status_code == 302 and done["Location"] == "/account/"
    customer_a.refresh_from_db()
    assert customer_a.email == "alice.new@example.com"
    assert "Your email address is now alice.new@example.com." in client_a.get("/account/").content.decode()
    notice = mailoutbox[1]
    assert notice.to == ["alice@example.com"] and "alice.new@example.com" in notice.body  # the old address is told


def test_a_confirmation_link_works_once_and_only_for_the_address_it_was_sent_from(client_a, customer_a,
                                                                                mailoutbox):
    ask_for(client_a, "first@example.com")
    ask_for(client_a, "second@example.com")
    first, second = (the_link(m, containing="/account/email/confirm/") for m in mailoutbox)
    assert client_a.post(first).status_code == 302

    replayed = client_a.post(first)
    other = client_a.post(second)  # asked for while the email was still alice@example.com

    for response in (replayed, other):
        assert response.status_code == 400 and "no longer valid" in response.content.decode()
    customer_a.refresh_from_db()
    assert customer_a.email == "first@example.com"


@pytest.mark.parametrize("new_email, password, field, error", [
    ("not-an-address", PASSWORD, "new_email", "Enter a valid email address."),
    ("alice@@example.com", PASSWORD, "new_email", "Enter a valid email address."),
    ("", PASSWORD, "new_email", "This field is required."),
    ("a" * 250 + "@example.com", PASSWORD, "new_email", "at most 254 characters"),
    ("BOB@Example.COM", PASSWORD, "new_email", "Another account already uses this email address."),
    ("Alice@EXAMPLE.com", PASSWORD, "new_email", "This is already your email address."),
    ("alice.new@example.com", "wrong-password", "password", "Your password was entered incorrectly."),
])
def test_bad_email_change_requests_name_the_field_and_send_nothing(client_a, customer_a, customer_b, mailoutbox,
                                                                    new_email, password, field, error):
    response = ask_for(client_a, new_email, password)

    assert response.status_code == 400
    assert error in "".join(response.context["form"].errors[field])
    assert 'class="errorlist' in response.content.decode()
    customer_a.refresh_from_db()
    assert customer_a.email == "alice@example.com" and not mailoutbox


def link_for(user, new_email: str) -> str:
    token = email_link.make_token(user, new_email=new_email)
    return reverse("web:email_change_confirm", kwargs={"token": token})


def test_an_expired_or_altered_link_is_refused(client_a, customer_a, settings, monkeypatch):
    with monkeypatch.context() as past:
        sent_at = time.time() - settings.EMAIL_CHANGE_TIMEOUT - 5
        past.setattr(time, "time", lambda: sent_at)
        expired = link_for(customer_a, "late@example.com")
    good = link_for(customer_a, "alice.new@example.com")
    signature = good.rstrip("/").rsplit(":", 1)[1]
    altered = good.replace(signature, signature[::-1])

    responses = {"expired": client_a.post(expired), "altered": client_a.post(altered),
                 "garbage": client_a.post("/account/email/confirm/x/")}

    assert {k: r.status_code for k, r in responses.items()} == {"expired": 400, "altered": 400, "garbage": 400}
    assert "This link has expired" in responses["expired"].content.decode()
    assert "not valid" in responses["altered"].content.decode()
    customer_a.refresh_from_db()
    assert customer_a.email == "alice@example.com"


def test_a_link_dies_when_the_password_changes(client_a, customer_a):
    link = link_for(customer_a, "alice.new@example.com")
    customer_a.set_password(NEW_PASSWORD)
    customer_a.save()

    assert client_a.post(link).status_code == 400
    customer_a.refresh_from_db()
    assert customer_a.email == "alice@example.com"


def test_an_address_taken_after_the_link_was_sent_is_refused(client_a, customer_a, customer_b):
    link = link_for(customer_a, "wanted@example.com")
    customer_b.email = "Wanted@Example.com"
    customer_b.save()

    response = client_a.post(link)

    assert response.status_code == 400 and "Another account started using" in response.content.decode()
    customer_a.refresh_from_db()
    assert customer_a.email == "alice@example.com"


def test_a_failing_mail_server_is_said_and_nothing_changes(client_a, customer_a, mail_server_down):
    response = ask_for(client_a, "alice.new@example.com")

    assert response.status_code == 503 and "We could not send the email" in response.content.decode()
    customer_a.refresh_from_db()
    assert customer_a.email == "alice@example.com"


# -- sign-up ------------------------------------------------------------------------------------------


SIGN_UP = {"username": "carol", "email": "carol@example.com", "password1": "a-Long-pass-123",
           "password2": "a-Long-pass-123"}


def test_signing_up_sends_a_welcome_mail(client, mailoutbox):
    assert client.post("/accounts/signup/", SIGN_UP).status_code == 302

    [welcome] = mailoutbox
    assert welcome.to == ["carol@example.com"] and welcome.subject == "Welcome to ordersys shop"
    assert "Hello carol" in welcome.body and "http://testserver/orders/" in links_in(welcome, containing="/orders/")


@pytest.mark.parametrize("email, error", [("", "This field is required."),
                                          ("ALICE@example.COM", "An account with this email already exists."),
                                          ("carol@", "Enter a valid email address.")])
def test_sign_up_needs_an_email_of_its_own(client, customer_a, mailoutbox, django_user_model, email, error):
    response = client.post("/accounts/signup/", {**SIGN_UP, "email": email})

    assert response.status_code == 400 and error in "".join(response.context["form"].errors["email"])
    assert not django_user_model.objects.filter(username="carol").exists() and not mailoutbox


def test_a_failing_mail_server_does_not_undo_a_sign_up(client, django_user_model, mail_server_down):
    assert client.post("/accounts/signup/", SIGN_UP).status_code == 302
    assert django_user_model.objects.filter(username="carol", email="carol@example.com").exists()


def test_account_mails_come_from_the_shop_with_a_one_line_subject_and_rendered_bodies(client_a, mailoutbox):
    ask_for(client_a, "alice.new@example.com")
    [message] = mailoutbox
    assert "\n" not in message.subject and "{{" not in message.body and "{%" not in message.alternatives[0][0]
    assert message.from_email == "ordersys <orders@localhost>"


def test_with_make_runs_file_backend_each_mail_is_a_file_in_the_mail_directory(client, customer_a, settings,
                                                                              tmp_path):
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"  # what filemail:// selects
    settings.EMAIL_FILE_PATH = str(tmp_path)

    client.post("/accounts/password-reset/", {"email": "alice@example.com"})

    [written] = tmp_path.iterdir()
    content = written.read_text()
    assert "To: alice@example.com" in content and "Subject: Reset your ordersys shop password" in content
    assert "text/html" in content and "/accounts/reset/" in content
