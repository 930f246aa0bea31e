"""Pages: a customer's order page hides staff notes and staff identities; text fields refuse invisible characters;
usernames are ASCII."""
from __future__ import annotations

import re

from django.urls import reverse

from orders.domain.commands import AddOrderNote, CancelOrder
from orders.handlers import dispatch
from orders.timelines import order_timeline
from tests.web.conftest import STAFF_ACTOR, place, project


def detail(order_id) -> str:
    return reverse("web:order_detail", kwargs={"order_id": order_id})


def test_a_customer_page_says_our_team_and_never_shows_notes_or_staff_ids(client_a, customer_a, stocked):
    order_id = place(customer_a, (stocked(), 1))
    project()
    dispatch(AddOrderNote(order_id=order_id, text="VIP, call first"), actor=STAFF_ACTOR)
    dispatch(CancelOrder(order_id=order_id, reason="carrier lost the parcel"), actor=STAFF_ACTOR)
    project()

    page = client_a.get(detail(order_id)).content.decode()
    timeline = page[page.index('id="timeline"'):]

    assert "Cancelled by our team: carrier lost the parcel" in timeline
    assert "VIP" not in page and "Note" not in timeline
    assert f"staff {STAFF_ACTOR.id}" not in page and f"staff:{STAFF_ACTOR.id}" not in page


def test_the_staff_order_page_shows_notes_with_their_author(staff_client, customer_a, stocked):
    order_id = place(customer_a, (stocked(), 1))
    project()
    dispatch(AddOrderNote(order_id=order_id, text="VIP, call first"), actor=STAFF_ACTOR)
    project()

    page = staff_client.get(reverse("admin:es_order_detail", kwargs={"order_id": order_id})).content.decode()

    assert f"Note from staff {STAFF_ACTOR.id}: VIP, call first" in page


def test_a_cancel_reason_with_a_bidi_override_is_refused_with_the_domains_words(client_a, customer_a, stocked):
    order_id = place(customer_a, (stocked(), 1))
    project()
    page = client_a.get(detail(order_id)).content.decode()
    version = int(re.search(r'name="version" value="(\d+)"', page[page.index('id="cancel"') - 600:]).group(1))

    response = client_a.post(reverse("web:order_cancel", kwargs={"order_id": order_id}),
                             {"version": version, "reason": "fine\u202egnp.exe"}, follow=True)

    assert "control or invisible formatting characters" in response.content.decode()
    assert order_timeline(order_id).state["status"] != "CANCELLED"


def test_an_admin_note_of_only_a_zero_width_space_is_refused_on_the_field(staff_client, customer_a, stocked):
    order_id = place(customer_a, (stocked(), 1))
    project()
    url = reverse("admin:es_order_action", kwargs={"order_id": order_id, "action": "add_note"})

    page = staff_client.post(url, {"version": 1, "text": "\u200b"}, follow=True).content.decode()

    assert "control or invisible formatting characters" in page
    assert order_timeline(order_id).state["notes"] == []


def test_sign_up_refuses_look_alike_non_ascii_usernames(client, django_user_model):
    response = client.post(reverse("web:signup"), {"username": "\u0430lice", "email": "mallory@example.com",
                                                   "password1": "a-Long-pass-123", "password2": "a-Long-pass-123"})

    assert response.status_code == 400 and "English letters" in response.content.decode()
    assert not django_user_model.objects.filter(email="mallory@example.com").exists()
