"""Erasure from the pages: "Delete my account" (the password once more) and the staff erase page.

A wrong password changes nothing; the right one erases the customer (key destroyed, account
anonymised and deactivated, saved addresses, tokens, sessions and settings gone), signs them out
and says goodbye, while their orders keep status and total and read "[erased]" where they named
the person. Staff need `manage_customer_data`, and cannot erase staff or an erased customer.
"""
from __future__ import annotations

import random

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from knox.models import AuthToken

from eventlog.pii import ERASED, keyring
from orders import roles
from orders.addressbook.models import SavedAddress
from orders.notifications.models import NotificationPreference
from orders.privacy.erasure import erased_username
from projections import selectors
from tests.factories import ADDRESS
from tests.web.conftest import place, project

PASSWORD = "erin-password-1"


@pytest.fixture
def erin(django_user_model):
    # A user id never used before in this run: the customer's erasure stream outlives the test's database.
    return django_user_model.objects.create_user("erin", "erin@example.com", PASSWORD,
                                                 pk=random.randrange(10**8, 10**9), first_name="Erin")


@pytest.fixture
def client_erin(erin) -> Client:
    client = Client()
    client.force_login(erin)
    return client


@pytest.fixture
def erins_things(erin, stocked):
    """An order (projected), a saved address, an API token and an opt-out: all Erin's."""
    order_id = place(erin, (stocked(), 1))
    project()
    SavedAddress.objects.create(owner=erin, **{name: getattr(ADDRESS, name) for name in (
        "recipient_name", "line1", "city", "postal_code", "country")})
    AuthToken.objects.create(user=erin)
    NotificationPreference.objects.create(user=erin, order_emails=False)
    return order_id


def test_the_account_page_links_to_delete_my_account(client_erin):
    page = client_erin.get("/account/").content.decode()
    assert 'href="/account/delete/"' in page and "Delete my account" in page


def test_the_delete_page_says_what_is_erased_and_what_the_shop_keeps(client_erin):
    page = client_erin.get("/account/delete/").content.decode()
    assert "cannot be undone" in page and "[erased]" in page
    assert "amounts" in page and 'type="password"' in page


def test_a_wrong_password_changes_nothing(client_erin, erin, erins_things):
    response = client_erin.post("/account/delete/", {"password": "not-my-password"})

    assert response.status_code == 400
    assert "incorrectly" in response.content.decode()
    erin.refresh_from_db()
    assert (erin.username, erin.email, erin.is_active) == ("erin", "erin@example.com", True)
    assert not keyring().is_erased(str(erin.pk))
    assert SavedAddress.objects.filter(owner=erin).exists() and AuthToken.objects.filter(user=erin).exists()
    assert client_erin.get("/account/").status_code == 200  # still signed in
    assert selectors.get_order(erins_things).shipping_address == ADDRESS


def test_deleting_my_account_erases_me_signs_me_out_and_keeps_the_books(client_erin, erin, erins_things):
    before = selectors.get_order(erins_things)

    response = client_erin.post("/account/delete/", {"password": PASSWORD})

    assert response.status_code == 302 and response["Location"] == "/account/deleted/"
    assert "Your account is deleted" in client_erin.get(response["Location"]).content.decode()
    assert client_erin.get("/account/").status_code == 302  # signed out
    erin.refresh_from_db()
    assert (erin.username, erin.email, erin.first_name, erin.is_active) == (erased_username(erin.pk), "", "", False)
    assert not erin.has_usable_password()
    assert keyring().is_erased(str(erin.pk))
    assert not SavedAddress.objects.filter(owner=erin).exists()
    assert not AuthToken.objects.filter(user=erin).exists()
    assert not NotificationPreference.objects.filter(user=erin).exists()
    assert not [s for s in Session.objects.all() if s.get_decoded().get("_auth_user_id") == str(erin.pk)]
    refused = Client().post("/accounts/login/", {"username": "erin", "password": PASSWORD})
    assert refused.status_code == 200 and "_auth_user_id" not in refused.client.session

    project()
    after = selectors.get_order(erins_things)
    assert after.shipping_address.line1 == ERASED and after.contact_email == ERASED
    assert after.shipping_address.country == ADDRESS.country
    assert (after.status, after.total, after.lines) == (before.status, before.total, before.lines)


def test_staff_accounts_cannot_delete_themselves_here(staff_client, staff_user):
    assert staff_client.get("/account/delete/").status_code == 403
    assert staff_client.post("/account/delete/", {"password": "sam-password-1"}).status_code == 403
    staff_user.refresh_from_db()
    assert staff_user.is_active and staff_user.username == "sam"


# -- staff ----------------------------------------------------------------------------------------------


def test_staff_see_whom_they_would_erase_and_their_order_count(role_client, erin, erins_things):
    page = role_client(roles.SUPPORT).get(f"/admin/customers/{erin.pk}/erase/").content.decode()
    assert 'id="customer-name">erin<' in page and 'id="order-count">1<' in page
    assert "amounts" in page


def test_staff_erase_a_customer_and_the_event_names_them(role_client, erin, erins_things, app_store):
    response = role_client(roles.SUPPORT).post(f"/admin/customers/{erin.pk}/erase/")

    assert response.status_code == 302
    erin.refresh_from_db()
    assert erin.username == erased_username(erin.pk) and not erin.is_active
    [erased] = app_store.read_stream(f"customer-{erin.pk}")
    assert erased.event_type == "CustomerErased" and erased.data.erased_by.kind == "staff"
    assert erased.metadata.actor.startswith("staff:")


def test_staff_without_the_permission_cannot_erase(role_client, erin):
    for role in (None, roles.WAREHOUSE):
        assert role_client(role).post(f"/admin/customers/{erin.pk}/erase/").status_code == 403
    erin.refresh_from_db()
    assert erin.is_active and not keyring().is_erased(str(erin.pk))


def test_staff_accounts_and_erased_customers_are_refused(role_client, erin, staff_user):
    support = role_client(roles.SUPPORT)
    refused = support.post(f"/admin/customers/{staff_user.pk}/erase/")
    assert refused.status_code == 409 and "staff account" in refused.content.decode()
    staff_user.refresh_from_db()
    assert staff_user.is_active

    assert support.post(f"/admin/customers/{erin.pk}/erase/").status_code == 302
    again = support.post(f"/admin/customers/{erin.pk}/erase/")
    assert again.status_code == 409 and "erased before" in again.content.decode()


def test_the_staff_timeline_and_time_travel_of_an_erased_order_read_erased(role_client, erin, erins_things):
    support = role_client(roles.SUPPORT)
    assert support.post(f"/admin/customers/{erin.pk}/erase/").status_code == 302
    ops = role_client(roles.OPERATIONS)

    for query in ("", "?version=0"):  # the newest state, and time travel to the order as placed
        page = ops.get(f"/admin/eventlog/stream/order-{erins_things}/{query}").content.decode()
        assert ERASED in page, query
        assert ADDRESS.line1 not in page and ADDRESS.recipient_name not in page, query
    detail = ops.get(f"/admin/orders/order/{erins_things}/").content.decode()
    assert ERASED in detail and ADDRESS.line1 not in detail
    who = ops.get(f"/admin/eventlog/stream/customer-{erin.pk}/").content.decode()
    assert "Personal data erased at the request of staff" in who
