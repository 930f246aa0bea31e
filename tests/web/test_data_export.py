"""A customer's data export: exactly their data, the same document by page and API, staff exports with a trace."""
from __future__ import annotations

import json
import time
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from orders import roles
from orders.addressbook import book
from orders.api.serializers import CustomerExportSerializer
from orders.domain.addresses import ShippingAddress
from orders.domain.commands import AddOrderNote, CancelOrder, CorrectShippingAddress, PayOrder, ShipOrder
from orders.domain.values import Actor
from orders.handlers import dispatch
from orders.privacy.export import FORMAT, export_customer
from projections.consistency import published_freshness
from projections.orders import NAME as ORDERS_READ_MODEL
from tests.web.conftest import place, project

STAFF_NOTE = "Internal: refund only after the manager agrees"
STAFF_REASON = "Courier said the street was renamed"


def _address(marker: str) -> ShippingAddress:
    return ShippingAddress(recipient_name=f"Recipient {marker}", line1=f"{marker} Road 1", city="Berlin",
                           postal_code="10115", country="DE", phone="+49 30 1234567")


def _history(customer: Any, sku: str, marker: str) -> dict[str, Any]:
    """Three orders (one with a staff note and a staff address correction, one cancelled, one shipped) and two
    saved addresses, every personal field carrying `marker`."""
    customer_id = str(customer.pk)
    staff = Actor.staff("999")
    noted = place(customer, (sku, 1), shipping_address=_address(f"{marker}-first"),
                  contact_email=f"{marker}@example.com")
    cancelled = place(customer, (sku, 2), shipping_address=_address(f"{marker}-second"))
    shipped = place(customer, (sku, 1), shipping_address=_address(f"{marker}-third"))
    project()  # confirmed by fulfillment
    dispatch(AddOrderNote(order_id=noted, text=STAFF_NOTE), actor=staff)
    dispatch(CorrectShippingAddress(order_id=noted, shipping_address=_address(f"{marker}-corrected"),
                                    reason=STAFF_REASON), actor=staff)
    dispatch(CancelOrder(order_id=cancelled, reason=f"{marker} changed my mind"), actor=Actor.customer(customer_id))
    dispatch(PayOrder(order_id=shipped, amount=Decimal("12.50"), payment_reference=f"PAY-{marker}"),
             actor=Actor.customer(customer_id))
    dispatch(ShipOrder(order_id=shipped, carrier="DHL", tracking_number=f"TRACK-{marker}"), actor=staff)
    saved = [book.save(customer, _address(f"{marker}-home")), book.save(customer, _address(f"{marker}-work"))]
    project()
    return {"orders": {str(noted), str(cancelled), str(shipped)}, "addresses": {a.pk for a in saved}}


@pytest.fixture
def two_customers(customer_a, customer_b, stocked):
    sku = stocked(quantity=50)
    project()
    return _history(customer_a, sku, "alpha"), _history(customer_b, sku, "bravo")


def _without_moment(document: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in document.items() if name != "generated_at"}


def test_the_export_holds_every_order_and_address_of_the_customer_and_nothing_of_anyone_else(
        client_a, customer_a, two_customers):
    mine, theirs = two_customers

    response = client_a.get(reverse("web:account-export"))

    assert response.status_code == 200
    document = response.json()
    text = response.content.decode()
    assert document["format"] == FORMAT and document["version"] == 1
    assert document["account"]["username"] == "alice" and document["account"]["email"] == "alice@example.com"
    assert {order["order_id"] for order in document["orders"]} == mine["orders"]
    assert {address["id"] for address in document["saved_addresses"]} == mine["addresses"]
    assert document["orders_current"] is True
    assert {n["order_id"] for n in document["notifications"]} <= mine["orders"]
    assert "alpha-home Road 1" in text and "alpha-corrected Road 1" in text and "TRACK-alpha" in text
    # Nothing of B: no order, address, payment, tracking or account of theirs.
    assert not theirs["orders"] & {order["order_id"] for order in document["orders"]}
    assert "bravo" not in text and "bob" not in text
    # Nothing only staff see: notes, the reason of a staff correction, who on the staff acted.
    assert STAFF_NOTE not in text and "OrderNoteAdded" not in text and "note_count" not in text
    assert STAFF_REASON not in text and '"999"' not in text and "staff:999" not in text and '"actor"' not in text


def test_each_order_carries_its_whole_history_as_the_customer_sees_it(client_a, customer_a, two_customers):
    document = client_a.get(reverse("web:account-export")).json()

    by_status = {order["status"]: order for order in document["orders"]}
    cancelled = by_status["CANCELLED"]
    assert [e["event_type"] for e in cancelled["events"]] == ["OrderCreated", "OrderConfirmed", "OrderCancelled"]
    assert cancelled["cancellation_reason"] == "alpha changed my mind" and cancelled["cancelled_by"] == "customer"
    assert cancelled["events"][2]["data"]["cancelled_by"] == {"kind": "customer"}
    shipped = by_status["SHIPPED"]
    assert shipped["tracking"] == {"carrier": "DHL", "number": "TRACK-alpha"}
    assert [e["version"] for e in shipped["events"]] == [0, 1, 2, 3]
    corrected = next(order for order in document["orders"] if order["address_corrected_at"])
    correction = corrected["events"][-1]
    assert correction["event_type"] == "ShippingAddressCorrected"
    assert correction["data"]["shipping_address"]["line1"] == "alpha-corrected Road 1"
    assert correction["data"]["corrected_by"] == {"kind": "staff"} and "reason" not in correction["data"]
    assert corrected["shipping_address"]["line1"] == "alpha-corrected Road 1"
    assert corrected["events"][0]["data"]["shipping_address"]["line1"] == "alpha-first Road 1"


def test_the_page_and_the_api_give_the_same_document_and_the_schema_describes_it(
        client_a, customer_a, two_customers):
    page = client_a.get(reverse("web:account-export"))
    api = client_a.get("/api/me/export/")

    assert page["Content-Disposition"].startswith('attachment; filename="ordersys-data-alice-')
    assert page["Content-Disposition"].endswith('.json"') and page["Content-Type"] == "application/json"
    assert "no-store" in page["Cache-Control"] and "no-store" in api["Cache-Control"]
    assert api.status_code == 200
    assert _without_moment(page.json()) == _without_moment(api.json())
    # The OpenAPI schema is these serializers: rendering the document through them changes nothing.
    document = export_customer(customer_a)
    assert json.loads(json.dumps(CustomerExportSerializer(document).data)) == document


def test_a_customer_without_orders_gets_an_export_too(client_b, customer_b):
    document = client_b.get(reverse("web:account-export")).json()
    assert document["orders"] == [] and document["saved_addresses"] == [] and document["notifications"] == []
    assert document["notification_settings"] == {"order_emails": True}


def test_an_export_made_while_the_read_model_is_behind_says_so(client_a, customer_a, stocked, monkeypatch):
    monkeypatch.setattr("orders.privacy.export.CATCH_UP_SECONDS", 0.05)
    sku = stocked()
    project()
    first = place(customer_a, (sku, 1))
    project()
    place(customer_a, (sku, 1))  # not projected yet
    deadline = time.monotonic() + 5
    while not published_freshness(ORDERS_READ_MODEL).is_behind:  # its position is published in the background
        assert time.monotonic() < deadline, "the append was never published"
        time.sleep(0.01)

    behind = client_a.get(reverse("web:account-export")).json()
    project()
    caught_up = client_a.get(reverse("web:account-export")).json()

    assert behind["orders_current"] is False and [o["order_id"] for o in behind["orders"]] == [str(first)]
    assert caught_up["orders_current"] is True and len(caught_up["orders"]) == 2


def test_anonymous_callers_are_sent_to_log_in(client):
    page = client.get(reverse("web:account-export"))
    assert page.status_code == 302 and "/login/" in page["Location"]
    assert client.get("/api/me/export/").status_code == 401


def test_the_account_page_links_to_the_download(client_a):
    page = client_a.get(reverse("web:account")).content.decode()
    assert "Your data" in page and f'href="{reverse("web:account-export")}"' in page


# -- staff ------------------------------------------------------------------------------------------


def test_staff_find_a_customer_and_download_the_same_document_which_the_admin_log_records(
        role_client, client_a, customer_a, two_customers):
    mine, theirs = two_customers
    support = role_client(roles.SUPPORT)

    found = support.get(reverse("admin:customers"), {"q": "alice@example"})
    page = support.get(reverse("admin:customer", args=[customer_a.pk]))
    exported = support.post(reverse("admin:customer-export", args=[customer_a.pk]))

    assert found.status_code == 200 and [u.pk for u in found.context["page"].object_list] == [customer_a.pk]
    assert page.status_code == 200 and page.context["order_count"] == 3
    assert {str(order.order_id) for order in page.context["orders"]} == mine["orders"]
    assert 'id="download-data"' in page.content.decode()
    assert exported.status_code == 200 and exported["Content-Disposition"].startswith("attachment")
    own = client_a.get(reverse("web:account-export")).json()
    assert _without_moment(exported.json()) == _without_moment(own)
    trace = LogEntry.objects.get(object_id=str(customer_a.pk), content_type__model="user")
    assert str(trace.user_id) == support.session["_auth_user_id"]
    assert "personal data" in trace.get_change_message()
    again = support.get(reverse("admin:customer", args=[customer_a.pk])).content.decode()
    assert 'id="customer-exports"' in again and "No staff member has downloaded" not in again


def test_staff_without_the_permission_can_neither_see_nor_export(role_client, customer_a):
    warehouse = role_client(roles.WAREHOUSE)

    assert warehouse.get(reverse("admin:customers")).status_code == 403
    assert warehouse.post(reverse("admin:customer-export", args=[customer_a.pk])).status_code == 403
    assert not LogEntry.objects.filter(object_id=str(customer_a.pk), content_type__model="user").exists()
    assert "Customers" not in warehouse.get(reverse("admin:index")).content.decode()


def test_the_staff_export_is_a_post(role_client, customer_a):
    support = role_client(roles.SUPPORT)
    assert support.get(reverse("admin:customer-export", args=[customer_a.pk])).status_code == 405
    assert support.post(reverse("admin:customer-export", args=[987654321])).status_code == 404


def test_holders_see_the_customers_entry_on_the_admin_index(role_client):
    index = role_client(roles.SUPPORT).get(reverse("admin:index")).content.decode()
    assert f'href="{reverse("admin:customers")}"' in index
