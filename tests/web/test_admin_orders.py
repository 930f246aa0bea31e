"""Staff admin: the orders list from the read model, the order page and its actions, conflicts."""
from __future__ import annotations

import re
from uuid import uuid4

import pytest
from django.urls import reverse

from orders.domain.commands import AddOrderNote
from orders.handlers import dispatch
from tests.web.conftest import STAFF_ACTOR, place, project

LIST = "/admin/orders/order/"


def detail(order_id) -> str:
    return reverse("admin:es_order_detail", kwargs={"order_id": order_id})


def act(order_id, action: str) -> str:
    return reverse("admin:es_order_action", kwargs={"order_id": order_id, "action": action})


def shown_version(page: str) -> int:
    return int(re.search(r'name="version" value="(\d+)"', page).group(1))


@pytest.mark.parametrize("who, expected", [("anonymous", 302), ("customer", 302), ("staff", 200)])
def test_only_staff_reach_the_admin_pages(who, expected, client, client_a, staff_client, customer_a, stocked):
    order_id = place(customer_a, (stocked(), 1))
    project()
    visitor = {"anonymous": client, "customer": client_a, "staff": staff_client}[who]
    pages = [LIST, detail(order_id), "/admin/eventlog/events/", f"/admin/eventlog/stream/order-{order_id}/",
             "/admin/projections/subscribers/", "/admin/projections/subscribers/orders/dead-letters/",
             "/admin/orders/product/", "/admin/"]
    for url in pages:
        response = visitor.get(url)
        assert response.status_code == expected, url
        if expected == 302:
            assert response["Location"].startswith("/admin/login/")
    posts = [act(order_id, "add_note"), "/admin/projections/subscribers/orders/rebuild/"]
    for url in posts:
        assert visitor.post(url, {"version": 0, "text": "x"}).status_code == (302 if who != "staff" else 302)
    if who != "staff":  # nothing happened
        assert "x" not in [n["text"] for n in _state(order_id).get("notes", [])]


def _state(order_id):
    from orders.timelines import order_timeline

    return order_timeline(order_id).state


def test_the_admin_index_and_sidebar_list_the_event_sourced_pages(staff_client):
    page = staff_client.get("/admin/").content.decode()
    assert 'href="/admin/orders/order/"' in page and 'href="/admin/eventlog/events/"' in page
    assert 'href="/admin/projections/subscribers/"' in page and "Event store" in page
    app_page = staff_client.get("/admin/orders/").content.decode()
    assert 'href="/admin/orders/order/"' in app_page and 'href="/admin/orders/product/"' in app_page


def test_the_list_shows_counts_filters_search_and_pages(staff_client, customer_a, customer_b, stocked):
    mug = stocked(quantity=100)
    a_orders = [place(customer_a, (mug, 1)) for _ in range(3)]
    b_order = place(customer_b, (mug, 2))
    project()
    dispatch(AddOrderNote(order_id=b_order, text="x"), actor=STAFF_ACTOR)
    from orders.domain.commands import CancelOrder

    dispatch(CancelOrder(order_id=a_orders[0], reason="test"), actor=STAFF_ACTOR)
    project()

    everything = staff_client.get(LIST)
    page = everything.content.decode()
    assert everything.status_code == 200 and "Confirmed (3)" in page and "Cancelled (1)" in page
    assert [o.order_id for o, _ in everything.context["rows"]] == [b_order, *a_orders[::-1]]
    assert "alice" in page and "bob@example.com" in page  # customers through the user table

    cancelled = staff_client.get(LIST, {"status": "CANCELLED"}).context["rows"]
    assert [o.order_id for o, _ in cancelled] == [a_orders[0]]
    by_name = staff_client.get(LIST, {"q": "ALI"}).context["rows"]
    assert [o.order_id for o, _ in by_name] == a_orders[::-1]
    by_email = staff_client.get(LIST, {"q": "bob@example"}).context["rows"]
    assert [o.order_id for o, _ in by_email] == [b_order]
    by_id = staff_client.get(LIST, {"q": str(a_orders[1])}).context["rows"]
    assert [o.order_id for o, _ in by_id] == [a_orders[1]]
    assert staff_client.get(LIST, {"q": "nobody-like-this"}).context["rows"] == []
    oldest = staff_client.get(LIST, {"o": "created"}).context["rows"]
    assert [o.order_id for o, _ in oldest] == [*a_orders, b_order]
    both = staff_client.get(LIST, {"q": "alice", "status": "CONFIRMED", "o": "created"}).context["rows"]
    assert [o.order_id for o, _ in both] == a_orders[1:]


def test_the_list_pages_by_cursor(staff_client, customer_a, stocked, monkeypatch):
    from orders.admin import orders as admin_orders

    monkeypatch.setattr(admin_orders, "PAGE_SIZE", 2)
    mug = stocked(quantity=100)
    ids = [place(customer_a, (mug, 1)) for _ in range(3)]
    project()

    first = staff_client.get(LIST)
    assert [o.order_id for o, _ in first.context["rows"]] == ids[::-1][:2]
    second = staff_client.get(LIST, {"cursor": first.context["next_cursor"]})
    assert [o.order_id for o, _ in second.context["rows"]] == ids[:1] and second.context["next_cursor"] is None
    paged = staff_client.get(LIST, {"o": "created", "p": "2"})
    assert [o.order_id for o, _ in paged.context["rows"]] == ids[2:]
    assert staff_client.get(LIST, {"cursor": "bogus"}).status_code == 302


def test_the_list_says_when_the_read_model_is_behind(staff_client, customer_a, stocked):
    mug = stocked()
    project()
    place(customer_a, (mug, 1))
    assert 'id="freshness"' in staff_client.get(LIST).content.decode()


def test_the_order_page_shows_summary_timeline_and_the_possible_actions(staff_client, customer_a, stocked):
    order_id = place(customer_a, (stocked(price="5.00"), 3))
    project()

    page = staff_client.get(detail(order_id)).content.decode()

    assert "15.00 EUR" in page and "alice" in page and "Confirmed" in page
    assert "Order placed: 3 items" in page and "Confirmed: all items reserved" in page
    assert 'id="action-pay"' in page and 'id="action-cancel"' in page and 'id="action-add_note"' in page
    assert 'id="action-ship"' not in page and 'id="action-confirm"' not in page
    assert shown_version(page) == 1
    assert f"/admin/eventlog/stream/order-{order_id}/" in page and "correlation_id=" in page


def test_staff_take_an_order_from_paid_to_delivered(staff_client, customer_a, stocked):
    order_id = place(customer_a, (stocked(), 1))
    project()

    def do(action, **fields):
        version = shown_version(staff_client.get(detail(order_id)).content.decode())
        response = staff_client.post(act(order_id, action), {"version": version, **fields}, follow=True)
        assert "done" in response.content.decode(), response.content.decode()
        project()
        return response.content.decode()

    do("pay", payment_reference="BANK-1")
    page = do("ship", carrier="DHL", tracking_number="JD014600")
    assert "Shipped with DHL, tracking JD014600" in page and 'id="action-deliver"' in page
    page = do("add_note", text="left at the door")
    assert "left at the door" in page
    page = do("deliver")
    assert 'id="order-status">Delivered' in page and 'id="action-cancel"' not in page


def test_pending_orders_can_be_confirmed_or_rejected(staff_client, customer_a, stocked):
    mug = stocked()
    project()
    first, second = place(customer_a, (mug, 1)), place(customer_a, (mug, 1))
    project(read_models_only=True)  # fulfillment has not decided yet

    page = staff_client.get(detail(first)).content.decode()
    assert 'id="action-confirm"' in page and 'id="action-reject"' in page and 'id="action-pay"' not in page
    staff_client.post(act(first, "confirm"), {"version": 0})
    staff_client.post(act(second, "reject"), {"version": 0, "reason": "suspected fraud"})
    project()

    assert 'id="order-status">Confirmed' in staff_client.get(detail(first)).content.decode()
    page = staff_client.get(detail(second)).content.decode()
    assert 'id="order-status">Rejected' in page and "suspected fraud" in page


def test_an_action_on_a_stale_page_is_a_conflict_with_the_fresh_page(staff_client, customer_a, stocked):
    order_id = place(customer_a, (stocked(), 1))
    project()
    stale = shown_version(staff_client.get(detail(order_id)).content.decode())
    dispatch(AddOrderNote(order_id=order_id, text="someone else"), actor=STAFF_ACTOR)

    response = staff_client.post(act(order_id, "cancel"), {"version": stale, "reason": "oops"}, follow=True)

    page = response.content.decode()
    assert "Someone else changed this order" in page and f"you saw version {stale}" in page
    assert 'id="order-status">Confirmed' in page and shown_version(page) == stale + 1  # the fresh page
    assert "someone else" in page


def test_refusals_and_bad_forms_are_explained(staff_client, customer_a, stocked):
    order_id = place(customer_a, (stocked(), 1))
    project()
    version = shown_version(staff_client.get(detail(order_id)).content.decode())

    refused = staff_client.post(act(order_id, "deliver"), {"version": version}, follow=True).content.decode()
    incomplete = staff_client.post(act(order_id, "ship"), {"version": version}, follow=True).content.decode()

    assert "Deliver was refused" in refused and "cannot be delivered until it is" in refused
    assert "please fill in the form" in incomplete and "carrier" in incomplete
    assert staff_client.post(act(order_id, "explode"), {"version": version}).status_code == 404
    assert staff_client.get(detail(uuid4())).status_code == 404
    assert staff_client.get(act(order_id, "deliver")).status_code == 405
