"""What customers see of their orders: no staff notes, no staff identities, no event metadata (staff see all)."""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from orders.visibility import sees_staff_view
from tests.api.conftest import PASSWORD, _caller, post_order

pytestmark = pytest.mark.django_db
NOTE = "Customer is a VIP - call before delivery"


@pytest.fixture
def annotated(customer_a, staff, catalogue, catch_up) -> dict:
    """Customer A's order: confirmed, annotated by staff, then cancelled by staff."""
    created = post_order(customer_a, (catalogue.mug, 1)).json()
    catch_up()
    for action, body in (("notes", {"text": NOTE}), ("cancel", {"reason": "out of stock at the carrier"})):
        response = staff.client.post(f"{created['location']}{action}/", body, format="json")
        assert response.status_code == 200, response.content
    catch_up()
    return created


def _pairs(value: Any) -> Iterator[tuple[str, Any]]:
    """Every (key, value) of a JSON document, however deeply nested."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield key, item
            yield from _pairs(item)
    elif isinstance(value, list):
        for item in value:
            yield from _pairs(item)


def assert_customer_view(body: dict, staff_id: str) -> None:
    text = json.dumps(body)
    assert NOTE not in text and "VIP" not in text
    keys = {key for key, _ in _pairs(body)}
    assert not keys & {"author", "notes", "note_count", "actor", "correlation_id"}, keys
    assert all(not (key == "id" and value == staff_id) for key, value in _pairs(body))
    assert f"staff:{staff_id}" not in text and f"staff {staff_id}" not in text


def test_a_customer_reads_their_timeline_without_notes_or_staff_identities(customer_a, staff, annotated):
    body = customer_a.client.get(f"{annotated['location']}events/").json()

    assert [e["event_type"] for e in body["entries"]] == ["OrderCreated", "OrderConfirmed", "OrderCancelled"]
    assert body["last_version"] == 3 and body["as_of_version"] == 3
    cancelled = body["entries"][-1]
    assert cancelled["description"] == "Cancelled by our team: out of stock at the carrier"
    assert cancelled["data"]["cancelled_by"] == {"kind": "staff"}
    assert body["state"]["cancelled_by"] == {"kind": "staff"} and "notes" not in body["state"]
    assert {"path": "cancelled_by", "before": None, "after": {"kind": "staff"}} in cancelled["changes"]
    assert all(entry["metadata"] is None for entry in body["entries"])
    assert_customer_view(body, str(staff.user.pk))


def test_a_customers_order_body_has_no_note_count_and_no_staff_id(customer_a, staff, annotated):
    order = customer_a.client.get(annotated["location"]).json()
    listed = customer_a.client.get("/api/orders/").json()["items"]

    assert order["status"] == "CANCELLED" and order["cancelled_by"] == "staff"
    assert [item["order_id"] for item in listed] == [order["order_id"]] and listed[0]["cancelled_by"] == "staff"
    assert_customer_view(order, str(staff.user.pk))
    assert_customer_view({"items": listed}, str(staff.user.pk))


def test_staff_see_notes_authors_ids_and_metadata(staff, annotated):
    body = staff.client.get(f"{annotated['location']}events/").json()
    order = staff.client.get(annotated["location"]).json()
    staff_id = str(staff.user.pk)

    noted = body["entries"][2]
    assert noted["event_type"] == "OrderNoteAdded" and noted["data"] == {
        "order_id": annotated["aggregate_id"], "text": NOTE, "author": staff_id}
    assert noted["description"] == f"Note from staff {staff_id}: {NOTE}"
    assert noted["metadata"]["actor"] == f"staff:{staff_id}"
    assert body["state"]["notes"] == [{"text": NOTE, "author": staff_id}]
    assert body["state"]["cancelled_by"] == {"kind": "staff", "id": staff_id}
    assert order["note_count"] == 1 and order["cancelled_by"] == f"staff:{staff_id}"


def test_a_window_ending_on_a_hidden_note_pages_on_past_it(customer_a, annotated):
    window = customer_a.client.get(f"{annotated['location']}events/", {"as_of_version": 2}).json()

    assert [e["version"] for e in window["entries"]] == [0, 1]
    assert window["as_of_version"] == 2 and "notes" not in window["state"]
    assert NOTE not in json.dumps(window)
    hidden = customer_a.client.get(f"{annotated['location']}events/", {"from_version": 2, "limit": 1}).json()
    assert hidden["entries"] == [] and hidden["next_from_version"] == 3 and NOTE not in json.dumps(hidden)


def test_staff_without_the_view_orders_permission_get_the_customer_view(customer_a, staff, annotated, unique):
    user = get_user_model().objects.create_user(username=f"temp-{unique}", password=PASSWORD, is_staff=True)
    helper = _caller("staff_without_permission", user)

    assert not sees_staff_view(user) and sees_staff_view(staff.user) and not sees_staff_view(customer_a.user)
    assert_customer_view(helper.client.get(f"{annotated['location']}events/").json(), str(staff.user.pk))
    assert_customer_view(helper.client.get(annotated["location"]).json(), str(staff.user.pk))
