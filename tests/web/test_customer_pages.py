"""Customer pages: catalogue, accounts, placing and following orders, paying and cancelling."""
from __future__ import annotations

import re
import time
from uuid import uuid4

import pytest
from django.test import Client
from django.urls import reverse

from orders.domain.commands import AddOrderNote, ShipOrder
from orders.handlers import dispatch
from tests.web.conftest import STAFF_ACTOR, place, project

# The shipping part of the order form, filled in.
SHIP = {"saved_address": "new", "recipient_name": "Alice Example", "line1": "1 Main Street", "city": "Berlin",
        "postal_code": "10115", "country": "DE", "contact_email": "alice@example.com"}


def detail(order_id) -> str:
    return reverse("web:order_detail", kwargs={"order_id": order_id})


def version_on(page: str, action: str) -> int:
    """The version a page's action form carries."""
    form = page.split('action="/orders/')[1:]
    for chunk in form:
        if f"/{action}/" in chunk.split('"')[0]:
            return int(re.search(r'name="version" value="(\d+)"', chunk).group(1))
    raise AssertionError(f"no {action} form on the page")


# -- catalogue and accounts -------------------------------------------------------------------------


def test_the_catalogue_shows_prices_and_availability_from_the_read_model(client, stocked):
    sku = stocked("Mug", "12.50", quantity=7)
    empty = stocked("Cap", "14.00", quantity=0)
    project()

    page = client.get("/").content.decode()

    assert sku in page and "12.50 EUR" in page and "7 in stock" in page
    assert empty in page and "out of stock" in page
    assert "to order" in page and 'id="order-form"' not in page  # anonymous: no order form


def test_a_signed_in_customer_gets_one_order_form_with_a_quantity_per_product(client_a, stocked):
    stocked("Mug")
    stocked("Tee", "19.90")
    project()

    page = client_a.get("/").content.decode()

    assert 'id="order-form"' in page and page.count('class="qty"') == 2 and "csrfmiddlewaretoken" in page


def test_sign_up_creates_an_account_and_signs_in(client, django_user_model):
    response = client.post(reverse("web:signup"), {"username": "carol", "email": "carol@example.com",
                                                   "password1": "a-Long-pass-123", "password2": "a-Long-pass-123"})

    assert response.status_code == 302
    assert django_user_model.objects.filter(username="carol", is_staff=False).exists()
    assert "carol" in client.get("/").content.decode()  # signed in


def test_sign_up_shows_errors_next_to_the_fields(client, customer_a):
    response = client.post(reverse("web:signup"), {"username": "alice", "email": "alice@example.com",
                                                   "password1": "x", "password2": "y"})

    assert response.status_code == 400
    page = response.content.decode()
    assert "already exists" in page and "errorlist" in page


def test_log_in_and_log_out(client, customer_a):
    response = client.post(reverse("web:login"), {"username": "alice", "password": "alice-password-1"})
    assert response.status_code == 302 and response["Location"] == "/orders/"
    assert client.get("/orders/").status_code == 200

    assert client.post(reverse("web:logout")).status_code == 302
    assert client.get("/orders/").status_code == 302


# -- placing an order ------------------------------------------------------------------------------


def test_placing_an_order_opens_its_page_which_shows_it_confirmed_once_fulfilled(client_a, stocked):
    mug, tee = stocked("Mug", "12.50"), stocked("Tee", "19.90")
    project()
    form = client_a.get("/").context["form"]
    order_id = form.initial["order_id"]

    response = client_a.post(reverse("web:order_new"), {"order_id": order_id, f"qty_{mug}": "2", f"qty_{tee}": "1",
                                                        "csrfmiddlewaretoken": "x", **SHIP})

    assert response.status_code == 302 and response["Location"] == detail(order_id)
    project()
    page = client_a.get(detail(order_id)).content.decode()
    assert "Confirmed" in page and "44.90 EUR" in page
    assert "Order placed: 3 items" in page and "Confirmed: all items reserved" in page
    assert 'id="pay"' in page and 'id="cancel"' in page


def test_a_resubmitted_order_form_opens_the_same_order_instead_of_a_second_one(client_a, customer_a, stocked):
    mug = stocked()
    project()
    data = {"order_id": str(uuid4()), f"qty_{mug}": "1", **SHIP}

    first = client_a.post(reverse("web:order_new"), data)
    second = client_a.post(reverse("web:order_new"), data)

    assert first["Location"] == second["Location"]
    project()
    assert client_a.get("/orders/").context["page"].total == 1


def test_order_form_errors_are_shown_next_to_the_fields(client_a, stocked):
    mug = stocked("Mug", quantity=3)
    project()

    nothing = client_a.post(reverse("web:order_new"), {"order_id": str(uuid4()), f"qty_{mug}": "0"})
    too_many = client_a.post(reverse("web:order_new"), {"order_id": str(uuid4()), f"qty_{mug}": "5", **SHIP})
    negative = client_a.post(reverse("web:order_new"), {"order_id": str(uuid4()), f"qty_{mug}": "-1"})

    assert nothing.status_code == 400 and "Choose at least one product" in nothing.content.decode()
    assert too_many.status_code == 400 and too_many.context["form"].errors == {f"qty_{mug}": ["Only 3 in stock."]}
    assert negative.status_code == 400 and f"qty_{mug}" in negative.context["form"].errors


def test_a_product_deactivated_while_the_form_was_open_is_refused_next_to_its_field(client_a, stocked):
    from orders.models import Product

    mug = stocked()
    project()
    form_id = str(uuid4())
    page_form = client_a.get("/").context["form"]
    assert f"qty_{mug}" in page_form.fields
    Product.objects.filter(sku=mug).update(active=False)

    response = client_a.post(reverse("web:order_new"), {"order_id": form_id, f"qty_{mug}": "1", **SHIP})

    # The product left the form (inactive): the order has no lines left.
    assert response.status_code == 400 and "Choose at least one product" in response.content.decode()


# -- following orders ------------------------------------------------------------------------------


def test_my_orders_are_newest_first_with_status_badges_and_pages(client_a, customer_a, customer_b, stocked):
    mug = stocked(quantity=100)
    mine = [place(customer_a, (mug, 1)) for _ in range(12)]
    place(customer_b, (mug, 1))
    project()

    first = client_a.get("/orders/")
    page = first.context["page"]
    assert [o.order_id for o in page.items] == mine[::-1][:10] and page.total == 12
    assert 'class="badge confirmed"' in first.content.decode()
    second = client_a.get("/orders/", {"cursor": page.next_cursor}).context["page"]
    assert [o.order_id for o in second.items] == mine[::-1][10:] and second.next_cursor is None
    assert client_a.get("/orders/", {"cursor": "garbage!"}).status_code == 302


def published(redis_client) -> None:
    """Wait until this process's appends are published (a background thread does it, as the nudge)."""
    from projections.consistency import published_freshness

    deadline = time.monotonic() + 5
    while not published_freshness("orders").is_behind:
        assert time.monotonic() < deadline, "the append was never published"
        time.sleep(0.01)


def test_the_order_page_says_updating_and_polls_until_the_read_model_caught_up(client_a, customer_a, stocked,
                                                                               redis_client):
    mug = stocked()
    order_id = place(customer_a, (mug, 1))  # nobody projects yet
    published(redis_client)

    page = client_a.get(detail(order_id))
    text = page.content.decode()
    assert page.status_code == 200 and "Updating" in text and 'hx-trigger="every 1s"' in text
    assert "Pending" not in text and "Confirmed" not in text  # no old state shown as current
    poll = client_a.get(detail(order_id), {"poll": "1"}, HTTP_HX_REQUEST="true")
    assert poll.status_code == 204 and "HX-Refresh" not in poll

    project()
    poll = client_a.get(detail(order_id), {"poll": "1"}, HTTP_HX_REQUEST="true")
    assert poll.status_code == 204 and poll["HX-Refresh"] == "true"
    pending_page_poll = client_a.get(detail(order_id), {"poll": "1", "v": "0"}, HTTP_HX_REQUEST="true")
    assert pending_page_poll["HX-Refresh"] == "true"  # a page showing version 0 reloads: it is confirmed now
    assert "Confirmed" in client_a.get(detail(order_id)).content.decode()


def test_list_pages_say_how_fresh_the_data_is_when_the_read_model_is_behind(client_a, customer_a, stocked,
                                                                            redis_client):
    mug = stocked()
    project()
    place(customer_a, (mug, 1))
    published(redis_client)

    text = client_a.get("/orders/").content.decode()

    assert 'id="freshness"' in text and "behind" in text
    project()
    assert 'id="freshness"' not in client_a.get("/orders/").content.decode()


def test_the_timeline_reads_like_a_story_with_times_and_hides_staff_notes(client_a, customer_a, stocked):
    mug = stocked()
    order_id = place(customer_a, (mug, 1))
    project()
    page = client_a.get(detail(order_id)).content.decode()
    client_a.post(reverse("web:order_pay", kwargs={"order_id": order_id}), {"version": version_on(page, "pay")})
    dispatch(AddOrderNote(order_id=order_id, text="customer called, VIP"), actor=STAFF_ACTOR)
    dispatch(ShipOrder(order_id=order_id, carrier="DHL", tracking_number="JD0001"), actor=STAFF_ACTOR)
    project()

    text = client_a.get(detail(order_id)).content.decode()

    assert "Payment received: 12.50" in text and "Shipped with DHL, tracking JD0001" in text
    assert re.search(r"<time datetime=\"\d{4}-\d\d-\d\dT", text)
    assert "VIP" not in text and "Note from" not in text
    assert 'id="tracking"' in text and "Shipped" in text
    assert 'id="pay"' not in text and 'id="cancel"' not in text  # shipped: nothing left to do


# -- paying and cancelling -------------------------------------------------------------------------


def test_a_pending_order_can_be_cancelled_but_not_paid_yet(client_a, customer_a, stocked):
    mug = stocked()
    project()
    order_id = place(customer_a, (mug, 1))
    project(read_models_only=True)  # fulfillment has not decided yet

    page = client_a.get(detail(order_id)).content.decode()

    assert "Pending" in page and 'id="cancel"' in page and 'id="pay"' not in page
    assert 'id="reserving"' in page and "?poll=1&amp;v=0" in page  # it updates itself once decided
    unchanged = client_a.get(detail(order_id), {"poll": "1", "v": "0"}, HTTP_HX_REQUEST="true")
    assert unchanged.status_code == 204 and "HX-Refresh" not in unchanged
    response = client_a.post(reverse("web:order_cancel", kwargs={"order_id": order_id}),
                             {"version": version_on(page, "cancel"), "reason": "changed my mind"})
    assert response.status_code == 302
    project()
    page = client_a.get(detail(order_id)).content.decode()
    assert "Cancelled" in page and "changed my mind" in page and 'id="cancel"' not in page


def test_paying_a_confirmed_order(client_a, customer_a, stocked):
    order_id = place(customer_a, (stocked(price="9.99"), 2))
    project()
    page = client_a.get(detail(order_id)).content.decode()

    response = client_a.post(reverse("web:order_pay", kwargs={"order_id": order_id}),
                             {"version": version_on(page, "pay")}, follow=True)

    text = response.content.decode()
    assert "Payment received. Thank you!" in text
    project()
    text = client_a.get(detail(order_id)).content.decode()
    assert 'class="badge paid"' in text and "19.98 EUR (reference SIM-" in text and 'id="pay"' not in text


def test_a_stale_page_gets_a_conflict_message_and_nothing_is_overwritten(client_a, customer_a, stocked):
    order_id = place(customer_a, (stocked(), 1))
    project()
    page = client_a.get(detail(order_id)).content.decode()
    stale_version = version_on(page, "pay")
    dispatch(AddOrderNote(order_id=order_id, text="checking the address"), actor=STAFF_ACTOR)  # someone else
    project()

    response = client_a.post(reverse("web:order_pay", kwargs={"order_id": order_id}),
                             {"version": stale_version}, follow=True)

    text = response.content.decode()
    assert "Someone else changed this order" in text
    assert 'class="badge confirmed"' in text and version_on(text, "pay") == stale_version + 1  # the fresh page
    project()
    assert client_a.get(detail(order_id)).context["order"].status == "CONFIRMED"


def test_an_action_the_rules_refuse_is_explained(client_a, customer_a, stocked):
    order_id = place(customer_a, (stocked(), 1))
    project()
    page = client_a.get(detail(order_id)).content.decode()
    version = version_on(page, "cancel")
    client_a.post(reverse("web:order_cancel", kwargs={"order_id": order_id}), {"version": version})
    project()
    # A second tab still shows the old form; replaying its version now conflicts, and with the
    # current version the rules refuse.
    response = client_a.post(reverse("web:order_pay", kwargs={"order_id": order_id}),
                             {"version": version + 1}, follow=True)
    assert "That did not work" in response.content.decode() and "can no longer be paid" in response.content.decode()


# -- who may see what ------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["anonymous", "customer_b", "staff"])
def test_nobody_but_the_owner_sees_or_touches_an_order(who, client, customer_a, client_b, staff_client, stocked):
    order_id = place(customer_a, (stocked(), 1))
    project()
    visitor = {"anonymous": client, "customer_b": client_b, "staff": staff_client}[who]
    expected = 302 if who == "anonymous" else 404  # anonymous: off to log in; others: as if it did not exist

    assert visitor.get(detail(order_id)).status_code == expected
    assert visitor.get(detail(order_id), {"poll": "1"}, HTTP_HX_REQUEST="true").status_code == expected
    for action in ("pay", "cancel"):
        response = visitor.post(reverse(f"web:order_{action}", kwargs={"order_id": order_id}), {"version": 1})
        assert response.status_code == expected
    if who != "anonymous":
        assert order_id not in [o.order_id for o in visitor.get("/orders/").context["page"].items]
    project()
    assert client_b.get("/").status_code == 200
    assert staff_client.get("/orders/").context["page"].total == 0


def test_an_unknown_order_is_404(client_a):
    assert client_a.get(detail(uuid4())).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client):
    for url in ("/orders/", "/orders/new/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=")


def test_every_form_is_csrf_protected(customer_a, stocked):
    order_id = place(customer_a, (stocked(), 1))
    project()
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(customer_a)

    assert strict.post(reverse("web:order_pay", kwargs={"order_id": order_id}), {"version": 1}).status_code == 403
    assert strict.post(reverse("web:order_cancel", kwargs={"order_id": order_id}), {"version": 1}).status_code == 403
    assert strict.post(reverse("web:order_new"), {"order_id": str(uuid4())}).status_code == 403
    assert Client(enforce_csrf_checks=True).post(reverse("web:signup"), {}).status_code == 403
    page = strict.get(detail(order_id)).content.decode()
    assert page.count("csrfmiddlewaretoken") >= 3  # pay, cancel, log out
