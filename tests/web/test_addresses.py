"""Checkout's shipping address and contact email, saved addresses (owner-only), and old orders without one."""
from __future__ import annotations

from uuid import uuid4

import pytest
from django.urls import reverse

from orders.addressbook import book
from orders.addressbook.models import SavedAddress
from orders.domain.addresses import ShippingAddress
from orders.timelines import order_timeline
from tests.web.conftest import place, project
from tests.web.test_customer_pages import SHIP, detail

HOME = ShippingAddress(recipient_name="Alice Example", line1="1 Main Street", city="Berlin", postal_code="10115",
                       country="DE")


def order(client, sku: str, **shipping: str):
    return client.post(reverse("web:order_new"), {"order_id": str(uuid4()), f"qty_{sku}": "1", **SHIP, **shipping})


def test_an_order_records_the_address_and_email_and_its_page_shows_them(client_a, stocked):
    mug = stocked()
    project()
    order_id = str(uuid4())

    response = client_a.post(reverse("web:order_new"), {"order_id": order_id, f"qty_{mug}": "1", **SHIP,
                                                        "line2": "Hinterhaus", "phone": "+49 30 1234567"})

    assert response.status_code == 302
    state = order_timeline(order_id).state
    assert state["shipping_address"] == {"recipient_name": "Alice Example", "line1": "1 Main Street",
                                         "line2": "Hinterhaus", "city": "Berlin", "postal_code": "10115",
                                         "country": "DE", "phone": "+49 30 1234567"}
    assert state["contact_email"] == "alice@example.com"
    project()
    page = client_a.get(detail(order_id)).content.decode()
    assert "1 Main Street" in page and "10115 Berlin" in page and "alice@example.com" in page


def test_the_contact_email_defaults_to_the_accounts(client_a):
    assert client_a.get("/").context["shipping"].initial["contact_email"] == "alice@example.com"


@pytest.mark.parametrize(("field", "value", "message"), [
    ("recipient_name", "", "This field is required."),
    ("line1", "", "This field is required."),
    ("city", "Ber\u202elin", "U+202E"),
    ("postal_code", "1" * 21, "at most 20"),
    ("postal_code", "10#15", "letters, digits"),
    ("country", "XX", "Select a valid choice"),
    ("country", "", "This field is required."),
    ("phone", "ring me", "phone number"),
    ("contact_email", "nobody", "valid email"),
    ("contact_email", "", "This field is required."),
])
def test_a_bad_field_is_named_and_nothing_is_written(client_a, customer_a, stocked, field, value, message):
    mug = stocked()
    project()

    response = order(client_a, mug, **{field: value}, save_address="on")

    assert response.status_code == 400
    errors = response.context["shipping"].errors
    assert list(errors) == [field] and message in " ".join(errors[field])
    project()
    assert client_a.get("/orders/").context["page"].total == 0
    assert not SavedAddress.objects.filter(owner=customer_a).exists()


def test_save_this_address_keeps_it_once_and_checkout_offers_it(client_a, customer_a, stocked):
    mug = stocked()
    project()

    assert order(client_a, mug, save_address="on").status_code == 302
    assert order(client_a, mug, save_address="on").status_code == 302  # the same address is not kept twice

    [saved] = SavedAddress.objects.filter(owner=customer_a)
    assert saved.as_shipping_address() == HOME
    shipping = client_a.get("/").context["shipping"]
    assert shipping.fields["saved_address"].choices[0][0] == str(saved.pk)


def test_a_saved_address_is_picked_without_typing_it_again(client_a, customer_a, stocked):
    mug = stocked()
    saved = book.save(customer_a, HOME)
    project()
    order_id = str(uuid4())

    response = client_a.post(reverse("web:order_new"), {"order_id": order_id, f"qty_{mug}": "1",
                                                        "saved_address": str(saved.pk),
                                                        "contact_email": "alice@example.com"})

    assert response.status_code == 302
    assert order_timeline(order_id).state["shipping_address"]["line1"] == "1 Main Street"


def test_nobody_picks_or_deletes_someone_elses_saved_address(client_a, client_b, customer_a, customer_b, stocked):
    mug = stocked()
    bobs = book.save(customer_b, HOME)
    project()

    picked = client_a.post(reverse("web:order_new"), {"order_id": str(uuid4()), f"qty_{mug}": "1",
                                                      "saved_address": str(bobs.pk),
                                                      "contact_email": "alice@example.com"})
    deleted = client_a.post(reverse("web:account-address-delete", kwargs={"address_id": bobs.pk}))

    assert picked.status_code == 400 and "saved_address" in picked.context["shipping"].errors
    assert deleted.status_code == 404
    assert SavedAddress.objects.filter(pk=bobs.pk).exists()
    assert "Main Street" not in client_a.get(reverse("web:account-addresses")).content.decode()
    assert "Main Street" in client_b.get(reverse("web:account-addresses")).content.decode()


def test_the_address_book_page_adds_and_deletes(client_a, customer_a):
    url = reverse("web:account-addresses")

    bad = client_a.post(url, {"recipient_name": "A", "line1": "x", "city": "Paris", "postal_code": "75001",
                              "country": "ZZ"})
    good = client_a.post(url, {"recipient_name": "A", "line1": "x", "city": "Paris", "postal_code": "75001",
                               "country": "FR"})

    assert bad.status_code == 400 and "country" in bad.context["form"].errors
    assert good.status_code == 302
    [saved] = SavedAddress.objects.filter(owner=customer_a)
    assert client_a.post(reverse("web:account-address-delete", kwargs={"address_id": saved.pk})).status_code == 302
    assert not SavedAddress.objects.filter(owner=customer_a).exists()


def test_an_order_placed_before_addresses_says_no_address_recorded(client_a, customer_a, stocked):
    order_id = place(customer_a, (stocked(), 1), shipping_address=None, contact_email=None)
    project()

    page = client_a.get(detail(order_id)).content.decode()

    assert "No address recorded" in page


# -- the admin order page ------------------------------------------------------------------------------


def admin_detail(order_id) -> str:
    return reverse("admin:es_order_detail", kwargs={"order_id": order_id})


def test_the_admin_order_page_shows_the_address_and_corrects_it_with_a_reason(staff_client, customer_a, stocked):
    order_id = place(customer_a, (stocked(), 1))
    project()
    page = staff_client.get(admin_detail(order_id))
    form = dict(page.context["forms"][[a for a, _, _ in page.context["forms"]].index("correct_address")][2].initial)
    assert "12 Example Street" in page.content.decode() and "customer@example.com" in page.content.decode()
    assert form["line1"] == "12 Example Street"  # the form starts from the current address

    url = reverse("admin:es_order_action", kwargs={"order_id": order_id, "action": "correct_address"})
    bad = staff_client.post(url, {**form, "country": "XX", "reason": "moved"})
    assert order_timeline(order_id).last_version == form["version"]  # nothing written
    good = staff_client.post(url, {**form, "line1": "14 Example Street", "reason": "customer phoned"})

    assert bad.status_code == good.status_code == 302
    state = order_timeline(order_id).state
    assert state["shipping_address"]["line1"] == "14 Example Street"
    after = staff_client.get(admin_detail(order_id)).content.decode()
    assert "14 Example Street" in after and "customer phoned" in after  # staff read the reason on the timeline


def test_the_customer_sees_the_correction_without_the_staff_reason(staff_client, client_a, customer_a, stocked):
    order_id = place(customer_a, (stocked(), 1))
    project()
    page = staff_client.get(admin_detail(order_id))
    form = dict(page.context["forms"][[a for a, _, _ in page.context["forms"]].index("correct_address")][2].initial)
    url = reverse("admin:es_order_action", kwargs={"order_id": order_id, "action": "correct_address"})
    staff_client.post(url, {**form, "line1": "14 Example Street", "reason": "internal: fraud check"})
    project()

    mine = client_a.get(detail(order_id)).content.decode()

    assert "14 Example Street" in mine and "corrected by our team" in mine and "fraud" not in mine


# -- packing slips -----------------------------------------------------------------------------------------


def test_a_packing_slip_has_the_lines_the_address_and_the_order_id_as_text_and_qr(role_client, customer_a, stocked):
    order_id = place(customer_a, (stocked("Mug"), 2))
    project()

    page = role_client("Warehouse").get(reverse("admin:es_packing_slip", kwargs={"order_id": order_id}))

    html = page.content.decode()
    assert page.status_code == 200 and len(page.context["slips"]) == 1
    assert str(order_id) in html and "12 Example Street" in html and "N1 9GU London" in html
    assert '<td class="qty">2</td>' in html
    assert "<svg" in html and f"QR code of order id {order_id}" in html and "packing-slip.css" in html
    assert role_client("Support").get(reverse("admin:es_packing_slip", kwargs={"order_id": order_id})) \
        .status_code == 403


def test_packing_slips_of_a_selection_print_only_orders_ready_to_ship(role_client, customer_a, stocked):
    from orders.domain.commands import CancelOrder
    from orders.domain.values import Actor
    from orders.handlers import dispatch

    sku = stocked("Mug")
    confirmed, other, cancelled = (place(customer_a, (sku, 1)) for _ in range(3))
    project()
    dispatch(CancelOrder(order_id=cancelled, reason="changed my mind"), actor=Actor.customer(str(customer_a.pk)))
    project()
    warehouse = role_client("Warehouse")
    listing = warehouse.get("/admin/orders/order/").content.decode()
    assert f'value="{confirmed}" form="packing-slips-form"' in listing
    assert f'value="{cancelled}" form="packing-slips-form"' not in listing

    page = warehouse.get(reverse("admin:es_packing_slips"),
                         {"order": [str(confirmed), str(other), str(cancelled), "not-an-id"]})

    assert [slip.order.order_id for slip in page.context["slips"]] == [confirmed, other]
    assert page.context["skipped"] == [(cancelled, "CANCELLED")]
    assert page.content.decode().count('class="slip"') == 2


def test_every_wrong_part_is_named_at_once(client_a, stocked):
    mug = stocked()
    project()

    response = order(client_a, mug, recipient_name="", city="", country="XX")

    assert set(response.context["shipping"].errors) == {"recipient_name", "city", "country"}
