"""Commands over HTTP: pay, cancel, ship, deliver, notes; If-Match and 412; 409 for business rules."""
from __future__ import annotations

import pytest

from tests.api.conftest import post_order, problem

pytestmark = pytest.mark.django_db


@pytest.fixture
def confirmed(customer_a, catalogue, catch_up) -> dict:
    """An order of customer A for two mugs (25.00), confirmed by fulfillment."""
    created = post_order(customer_a, (catalogue.mug, 2)).json()
    catch_up()
    order = customer_a.client.get(created["location"]).json()
    assert order["status"] == "CONFIRMED"
    return order


def post(caller, order, action, body=None, **headers):
    return caller.client.post(f"/api/orders/{order['order_id']}/{action}/", body or {}, format="json", **headers)


def test_an_order_goes_from_paid_to_delivered(customer_a, staff, confirmed, catch_up):
    paid = post(customer_a, confirmed, "pay", {"amount": "25.00", "payment_reference": "PAY-1"})
    shipped = post(staff, confirmed, "ship", {"carrier": "DHL", "tracking_number": "T1"})
    noted = post(staff, confirmed, "notes", {"text": "fragile"})
    delivered = post(staff, confirmed, "deliver")

    for response, version in ((paid, 2), (shipped, 3), (noted, 4), (delivered, 5)):
        assert response.status_code == 200, response.content
        assert response["ETag"] == f'"{version}"' and response.json()["version"] == version
        assert response["Location"] == f"/api/orders/{confirmed['order_id']}/"
    catch_up()
    order = customer_a.client.get(delivered["Location"], {"min_position": delivered["X-Event-Position"]}).json()
    assert order["status"] == "DELIVERED" and order["tracking"] == {"carrier": "DHL", "number": "T1"}
    assert order["amount_paid"] == "25.00" and "note_count" not in order  # notes are staff-only
    assert staff.client.get(delivered["Location"]).json()["note_count"] == 1


def test_if_match_with_the_current_version_succeeds_and_a_moved_version_is_412(customer_a, confirmed):
    etag = customer_a.client.get(f"/api/orders/{confirmed['order_id']}/")["ETag"]

    ok = post(customer_a, confirmed, "pay", {"amount": "25.00", "payment_reference": "P"}, HTTP_IF_MATCH=etag)
    late = post(customer_a, confirmed, "cancel", {"reason": "too slow"}, HTTP_IF_MATCH=etag)

    assert ok.status_code == 200 and ok["ETag"] == f'"{int(etag.strip(chr(34))) + 1}"'
    body = problem(late, 412)
    assert body["current_version"] == 2 and late["ETag"] == '"2"'
    assert post(customer_a, confirmed, "cancel", {"reason": "ok"}, HTTP_IF_MATCH=late["ETag"]).status_code == 200


def test_if_match_star_means_any_version_and_garbage_is_400(customer_a, confirmed):
    assert post(customer_a, confirmed, "cancel", {"reason": "x"}, HTTP_IF_MATCH="*").status_code == 200
    problem(post(customer_a, confirmed, "cancel", {"reason": "x"}, HTTP_IF_MATCH="W/xyz"), 400)


def test_a_stale_if_match_on_another_customers_order_is_404_not_412(customer_b, confirmed):
    response = post(customer_b, confirmed, "cancel", {"reason": "x"}, HTTP_IF_MATCH='"0"')
    problem(response, 404)


def test_business_rule_refusals_are_409_with_the_domain_message(customer_a, staff, confirmed):
    wrong_amount = post(customer_a, confirmed, "pay", {"amount": "1.00", "payment_reference": "P"})
    too_early = post(staff, confirmed, "deliver")

    assert "totals 25.00" in problem(wrong_amount, 409)["detail"]
    body = problem(too_early, 409)
    assert body["type"].endswith("invalid-transition") and "CONFIRMED" in body["detail"]


def test_staff_only_commands_refuse_customers_with_403(customer_a, confirmed):
    for action, body in (("ship", {"carrier": "x", "tracking_number": "y"}), ("deliver", {}),
                         ("notes", {"text": "hi"})):
        problem(post(customer_a, confirmed, action, body), 403)


@pytest.mark.parametrize("action, body, field", [
    ("pay", {"amount": "12.345", "payment_reference": "P"}, "amount"),
    ("pay", {"amount": "1e999999", "payment_reference": "P"}, "amount"),
    ("pay", {"amount": "-1", "payment_reference": "P"}, "amount"),
    ("pay", {"amount": "25.00", "payment_reference": "   "}, "payment_reference"),
    ("cancel", {}, "reason"),
    ("cancel", {"reason": "x" * 1001}, "reason"),
])
def test_malformed_command_bodies_are_400(customer_a, confirmed, action, body, field):
    errors = problem(post(customer_a, confirmed, action, body), 400)["errors"]
    assert field in [error["field"] for error in errors]


def test_stock_can_be_received_and_adjusted_by_staff(staff, catalogue, catch_up):
    received = staff.client.post(f"/api/inventory/{catalogue.mug}/receive/", {"quantity": 5}, format="json")
    catch_up()
    level = staff.client.get(f"/api/inventory/{catalogue.mug}/", {"min_position": received["X-Event-Position"]})
    adjusted = staff.client.post(f"/api/inventory/{catalogue.mug}/adjust/", {"delta": -3, "reason": "broken"},
                                 format="json", HTTP_IF_MATCH=level["ETag"])
    moved = staff.client.post(f"/api/inventory/{catalogue.mug}/adjust/", {"delta": -1, "reason": "again"},
                              format="json", HTTP_IF_MATCH=level["ETag"])
    too_much = staff.client.post(f"/api/inventory/{catalogue.mug}/adjust/", {"delta": -100, "reason": "x"},
                                 format="json")
    catch_up()
    listed = staff.client.get("/api/inventory/").json()["items"]

    assert received.status_code == 200 and level.json()["on_hand"] == 15
    assert adjusted.status_code == 200, adjusted.content
    problem(moved, 412)
    problem(too_much, 409)
    assert {"sku": catalogue.mug, "on_hand": 12}.items() <= next(
        item for item in listed if item["sku"] == catalogue.mug).items()
    problem(staff.client.post("/api/inventory/NOT-IN-CATALOGUE/receive/", {"quantity": 1}, format="json"), 404)
    problem(staff.client.post(f"/api/inventory/{catalogue.mug}/adjust/", {"delta": 0, "reason": "x"},
                              format="json"), 400)
