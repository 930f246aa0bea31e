"""Customer notifications through the pages: the opt-out page, and the emails on the staff order page."""
from __future__ import annotations

from decimal import Decimal

from django.urls import reverse

from orders.domain.commands import PayOrder, ShipOrder
from orders.domain.values import Actor
from orders.handlers import dispatch
from orders.notifications.models import Notification, Outcome
from orders.notifications.recipients import wants_order_emails
from tests.web.conftest import STAFF_ACTOR, place, project

SETTINGS = reverse("web:account-notifications")


def test_a_customer_turns_order_emails_off_and_on_again(client_a, customer_a):
    page = client_a.get(SETTINGS).content.decode()
    assert 'name="order_emails"' in page and "checked" in page  # on by default

    response = client_a.post(SETTINGS, {}, follow=True)  # an unchecked box sends nothing
    assert "Order emails are off." in response.content.decode()
    assert not wants_order_emails(customer_a.pk)
    assert "checked" not in client_a.get(SETTINGS).content.decode()

    client_a.post(SETTINGS, {"order_emails": "on"})
    assert wants_order_emails(customer_a.pk)


def test_one_customer_s_choice_never_changes_another_s(client_a, client_b, customer_a, customer_b):
    client_b.post(SETTINGS, {})
    assert wants_order_emails(customer_a.pk) and not wants_order_emails(customer_b.pk)


def test_opted_out_customers_get_no_mail_and_staff_see_what_went_out(client_a, customer_a, staff_client, stocked,
                                                                      mailoutbox):
    sku = stocked()
    sent = place(customer_a, (sku, 1))
    project()  # confirmed by fulfillment, then the confirmation is mailed
    dispatch(PayOrder(order_id=sent, amount=Decimal("12.50"), payment_reference="P-1"),
             actor=Actor.customer(str(customer_a.pk)))
    dispatch(ShipOrder(order_id=sent, carrier="UPS", tracking_number="1Z999"), actor=STAFF_ACTOR)
    project()
    short = str(sent)[:8]
    assert [m.subject for m in mailoutbox] == [f"Order {short} confirmed", f"Payment received for order {short}",
                                               f"Order {short} shipped"]
    assert "https://www.ups.com/track?tracknum=1Z999" in mailoutbox[2].body

    client_a.post(SETTINGS, {})
    skipped = place(customer_a, (sku, 1))
    project()
    assert len(mailoutbox) == 3
    assert Notification.objects.get(order_id=skipped).outcome == Outcome.OPTED_OUT

    page = staff_client.get(reverse("admin:es_order_detail", kwargs={"order_id": sent})).content.decode()
    table = page[page.index('id="notifications"'):]
    assert "Order confirmed" in table and "Payment received" in table and "Order shipped" in table
    assert "c***@example.com" in table  # the order's contact email (tests.factories.CONTACT_EMAIL), masked
    assert "customer@example.com</td>" not in table
    page = staff_client.get(reverse("admin:es_order_detail", kwargs={"order_id": skipped})).content.decode()
    assert "Not sent: the customer turned order emails off" in page


def test_the_staff_order_page_needs_view_orders(role_client, customer_a, stocked):
    order_id = place(customer_a, (stocked(), 1))
    project()
    url = reverse("admin:es_order_detail", kwargs={"order_id": order_id})
    assert role_client(None).get(url).status_code == 403
    assert "Customer emails" in role_client("Support").get(url).content.decode()
