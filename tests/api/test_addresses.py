"""Addresses over HTTP: required on new orders, shown to the order's customer and staff, saved, corrected."""
from __future__ import annotations

import pytest

from tests.api.conftest import SHIPPING_ADDRESS, post_order, problem

pytestmark = pytest.mark.django_db


def order_body(caller, catalogue, **fields):
    return caller.client.post("/api/orders/", {"lines": [{"sku": catalogue.mug, "quantity": 1}], **fields},
                              format="json")


def test_a_missing_address_is_a_400_problem_naming_it(customer_a, catalogue):
    response = order_body(customer_a, catalogue)

    errors = problem(response, 400)["errors"]
    assert [e["field"] for e in errors] == ["shipping_address"]


@pytest.mark.parametrize(("change", "field"), [
    ({"recipient_name": ""}, "shipping_address.recipient_name"),
    ({"line1": "x" * 201}, "shipping_address.line1"),
    ({"city": "Ber\u202elin"}, "shipping_address.city"),
    ({"country": "XX"}, "shipping_address.country"),
    ({"country": "de"}, "shipping_address.country"),
    ({"postal_code": "10#15"}, "shipping_address.postal_code"),  # the domain's rule, through the problem mapper
    ({"phone": "ring me"}, "shipping_address.phone"),
])
def test_each_bad_address_field_is_named(customer_a, catalogue, change, field):
    response = order_body(customer_a, catalogue, shipping_address={**SHIPPING_ADDRESS, **change})

    assert field in [e["field"] for e in problem(response, 400)["errors"]]


def test_a_bad_contact_email_is_named(customer_a, catalogue):
    response = order_body(customer_a, catalogue, shipping_address=SHIPPING_ADDRESS, contact_email="nobody")

    assert [e["field"] for e in problem(response, 400)["errors"]] == ["contact_email"]


def test_the_order_body_has_the_address_and_the_accounts_email_for_its_customer_and_staff(
        customer_a, customer_b, staff, catalogue, catch_up):
    created = post_order(customer_a, (catalogue.mug, 1)).json()
    catch_up()

    mine = customer_a.client.get(created["location"]).json()
    staffs = staff.client.get(created["location"]).json()
    other = customer_b.client.get(created["location"])

    expected = {**SHIPPING_ADDRESS, "line2": "", "phone": ""}
    assert mine["shipping_address"] == staffs["shipping_address"] == expected
    assert mine["contact_email"] == customer_a.user.email
    assert other.status_code == 404 and "Main Street" not in other.content.decode()


def test_staff_with_ship_orders_correct_the_address_before_shipping(customer_a, staff, warehouse, support,
                                                                     catalogue, catch_up):
    created = post_order(customer_a, (catalogue.mug, 1)).json()
    catch_up()
    url = f"{created['location']}shipping-address/"
    moved = {**SHIPPING_ADDRESS, "line1": "9 Other Street"}

    refused = support.client.post(url, {"shipping_address": moved, "reason": "phoned"}, format="json")
    by_customer = customer_a.client.post(url, {"shipping_address": moved, "reason": "phoned"}, format="json")
    corrected = warehouse.client.post(url, {"shipping_address": moved, "reason": "customer phoned"}, format="json")

    assert refused.status_code == 403 and by_customer.status_code == 403
    assert corrected.status_code == 200, corrected.content
    catch_up()
    assert customer_a.client.get(created["location"]).json()["shipping_address"]["line1"] == "9 Other Street"
    events = customer_a.client.get(f"{created['location']}events/").json()
    correction = events["entries"][-1]
    assert correction["event_type"] == "ShippingAddressCorrected"
    assert "reason" not in correction["data"] and "customer phoned" not in str(correction)
    staff_events = staff.client.get(f"{created['location']}events/").json()
    assert "customer phoned" in str(staff_events)


def test_a_shipped_order_keeps_its_address(customer_a, staff, catalogue, catch_up):
    created = post_order(customer_a, (catalogue.mug, 1)).json()
    catch_up()
    location = created["location"]
    assert customer_a.client.post(f"{location}pay/", {"amount": "12.50", "payment_reference": "P"},
                                  format="json").status_code == 200
    assert staff.client.post(f"{location}ship/", {"carrier": "DHL", "tracking_number": "T"},
                             format="json").status_code == 200

    late = staff.client.post(f"{location}shipping-address/", {"shipping_address": SHIPPING_ADDRESS, "reason": "x"},
                             format="json")

    assert "can no longer be corrected" in problem(late, 409)["detail"]


def test_saved_addresses_are_the_callers_own(customer_a, customer_b):
    saved = customer_a.client.post("/api/me/addresses/", SHIPPING_ADDRESS, format="json")
    again = customer_a.client.post("/api/me/addresses/", SHIPPING_ADDRESS, format="json")
    bad = customer_a.client.post("/api/me/addresses/", {**SHIPPING_ADDRESS, "postal_code": "1#"}, format="json")

    assert saved.status_code == 201 and again.json()["id"] == saved.json()["id"]
    assert [e["field"] for e in problem(bad, 400)["errors"]] == ["postal_code"]
    assert [a["city"] for a in customer_a.client.get("/api/me/addresses/").json()["items"]] == ["Berlin"]
    assert customer_b.client.get("/api/me/addresses/").json()["items"] == []
    address_url = f"/api/me/addresses/{saved.json()['id']}/"
    problem(customer_b.client.delete(address_url), 404)
    assert customer_a.client.delete(address_url).status_code == 204
    assert customer_a.client.get("/api/me/addresses/").json()["items"] == []
