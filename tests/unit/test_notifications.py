"""The notifications subscriber's decisions over the in-memory event store and Django's locmem mail backend:
which event sends what to whom, opted-out customers get none, each event at most once, a failing mail
server raises (for the runner to retry and dead-letter) and records nothing."""
from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

import pytest
from django.contrib.auth import get_user_model

from eventlog.envelope import EventMetadata, NewEvent, RecordedEvent
from orders.domain.events import (
    OrderCancelled,
    OrderConfirmed,
    OrderCreated,
    OrderDelivered,
    OrderNoteAdded,
    OrderPaid,
    OrderRejected,
    OrderShipped,
)
from orders.domain.values import Actor, OrderLine, UnavailableLine
from orders.notifications.carriers import tracking_url
from orders.notifications.models import Notification, OrderContact, Outcome
from orders.notifications.recipients import mask, set_order_emails
from orders.notifications.subscriber import NotificationSubscriber

pytestmark = pytest.mark.django_db

LINES = (OrderLine("MUG-1", "Mug", 2, Decimal("7.50")), OrderLine("TEA-2", "Green tea", 1, Decimal("3.25")))


@pytest.fixture
def customer():
    return get_user_model().objects.create_user("ada", "ada@example.com", "pw-not-used-here-1")


@pytest.fixture
def subscriber(store) -> NotificationSubscriber:
    return NotificationSubscriber(store=store)


def record(store, order_id: UUID, *events) -> list[RecordedEvent]:
    """Append events to the order's stream (straight to the store, as history) and read them back."""
    stream = f"order-{order_id}"
    version = store.stream_version(stream)
    existing = store.read_stream(stream) if version is not None else []
    metadata = EventMetadata(correlation_id=uuid4(), causation_id=None, actor="staff:1")
    encoded = []
    # The order's customer is the data subject of its personal fields (their key seals them).
    subject = next(e.customer_id for e in [*(r.data for r in existing), *events] if isinstance(e, OrderCreated))
    for event in events:
        event_type, data = store.registry.encode(event, subject=subject)
        encoded.append(NewEvent(uuid4(), event_type.name, event.SCHEMA_VERSION, data, metadata))
    store.append(stream, encoded, expected_version=len(existing) - 1)
    return store.read_stream(stream)[len(existing):]


def created(order_id: UUID, customer) -> OrderCreated:
    customer_id = customer if isinstance(customer, str) else str(customer.pk)
    return OrderCreated(order_id=order_id, customer_id=customer_id, lines=LINES, total=Decimal("18.25"),
                        currency="EUR")


def life(order_id: UUID, customer) -> tuple:
    return (created(order_id, customer), OrderConfirmed(order_id), OrderNoteAdded(order_id, "fragile", "staff:1"),
            OrderPaid(order_id, Decimal("18.25"), "pay-77"), OrderShipped(order_id, "DHL", "JD0146 0001"),
            OrderDelivered(order_id))


def handle_all(subscriber, events) -> None:
    for event in events:
        subscriber.handle(event)


def test_each_step_of_an_order_sends_its_email_to_the_customer_and_notes_send_none(store, subscriber, customer,
                                                                                  mailoutbox):
    order_id = uuid4()
    handle_all(subscriber, record(store, order_id, *life(order_id, customer)))

    short = str(order_id)[:8]
    assert [m.subject for m in mailoutbox] == [f"Order {short} confirmed", f"Payment received for order {short}",
                                               f"Order {short} shipped", f"Order {short} delivered"]
    assert all(m.to == ["ada@example.com"] for m in mailoutbox)
    for mail in mailoutbox:  # text and HTML, from the shop's sender, linking to the order
        assert mail.from_email == "ordersys <orders@localhost>"
        assert f"/orders/{order_id}/" in mail.body
        (html, mimetype), = mail.alternatives
        assert mimetype == "text/html" and f"/orders/{order_id}/" in html
        assert "fragile" not in mail.body + html  # a staff note never reaches the customer
    assert "18.25 EUR" in mailoutbox[1].body and "pay-77" in mailoutbox[1].body
    shipped = mailoutbox[2]
    assert "DHL" in shipped.body and "JD0146 0001" in shipped.body
    assert "tracking-id=JD0146%200001" in shipped.body and "tracking-id=JD0146%200001" in shipped.alternatives[0][0]
    assert [n.kind for n in Notification.objects.filter(order_id=order_id)] == ["confirmed", "paid", "shipped",
                                                                                "delivered"]
    assert {n.outcome for n in Notification.objects.filter(order_id=order_id)} == {Outcome.SENT}


def test_a_rejection_names_the_short_lines_and_a_cancellation_its_refund(store, subscriber, customer, mailoutbox):
    rejected, cancelled = uuid4(), uuid4()
    handle_all(subscriber, record(store, rejected, created(rejected, customer), OrderRejected(
        rejected, "not enough stock for MUG-1", (UnavailableLine("MUG-1", 2, 1),))))
    handle_all(subscriber, record(store, cancelled, created(cancelled, customer), OrderConfirmed(cancelled),
                                  OrderPaid(cancelled, Decimal("18.25"), "p"),
                                  OrderCancelled(cancelled, "changed my mind", Actor.customer(str(customer.pk)),
                                                 Decimal("18.25"))))

    rejection, _, _, cancellation = mailoutbox
    assert rejection.subject == f"Order {str(rejected)[:8]} could not be accepted"
    assert "MUG-1: you asked for 2, we have 1" in rejection.body
    assert "<td>MUG-1</td><td>2</td><td>1</td>" in rejection.alternatives[0][0]
    assert cancellation.subject == f"Order {str(cancelled)[:8]} cancelled"
    assert "We are refunding 18.25 EUR to you." in cancellation.body


def test_a_cancellation_without_payment_says_there_is_nothing_to_refund(store, subscriber, customer, mailoutbox):
    order_id = uuid4()
    handle_all(subscriber, record(store, order_id, created(order_id, customer),
                                  OrderCancelled(order_id, "x", Actor.customer(str(customer.pk)), None)))

    assert "nothing to refund" in mailoutbox[0].body


def test_each_event_sends_at_most_once_even_when_handled_again(store, subscriber, customer, mailoutbox):
    order_id = uuid4()
    events = record(store, order_id, *life(order_id, customer))
    handle_all(subscriber, events)
    handle_all(subscriber, events)  # a retried batch, a restarted worker
    handle_all(NotificationSubscriber(store=store), events)  # another process

    assert len(mailoutbox) == 4
    assert Notification.objects.filter(order_id=order_id).count() == 4
    assert {m.extra_headers["X-Ordersys-Event-Id"] for m in mailoutbox} == {
        str(e.event_id) for e in events if type(e.data) not in (OrderCreated, OrderNoteAdded)}


def test_an_opted_out_customer_gets_no_order_email_and_the_skip_is_recorded(store, subscriber, customer, mailoutbox):
    set_order_emails(customer.pk, enabled=False)
    order_id = uuid4()
    handle_all(subscriber, record(store, order_id, *life(order_id, customer)))

    assert mailoutbox == []
    assert [n.outcome for n in Notification.objects.filter(order_id=order_id)] == [Outcome.OPTED_OUT] * 4

    set_order_emails(customer.pk, enabled=True)  # back on: later events are mailed again
    handle_all(subscriber, record(store, order_id, OrderNoteAdded(order_id, "x", "staff:1")))
    other = uuid4()
    handle_all(subscriber, record(store, other, created(other, customer), OrderConfirmed(other)))
    assert [m.subject for m in mailoutbox] == [f"Order {str(other)[:8]} confirmed"]


def test_an_order_of_an_unknown_customer_is_recorded_as_having_no_address(store, subscriber, mailoutbox):
    order_id = uuid4()
    handle_all(subscriber, record(store, order_id, created(order_id, "c7"), OrderConfirmed(order_id)))

    assert mailoutbox == []
    assert Notification.objects.get(order_id=order_id).outcome == Outcome.NO_ADDRESS


def test_the_order_s_own_contact_email_wins_over_the_account_s(store, subscriber, customer, mailoutbox):
    order_id = uuid4()
    creation = dataclasses.replace(created(order_id, customer), contact_email="shipping@example.org")
    handle_all(subscriber, record(store, order_id, creation, OrderConfirmed(order_id)))

    assert mailoutbox[0].to == ["shipping@example.org"]


def test_a_customer_whose_key_is_destroyed_is_mailed_at_no_address(store, subscriber, customer, mailoutbox,
                                                                    pii_keyring):
    # Erased: neither "[erased]" nor the account's address is written to (tests/unit/test_erasure.py has more).
    order_id = uuid4()
    creation = dataclasses.replace(created(order_id, customer), contact_email="shipping@example.org")
    events = record(store, order_id, creation, OrderConfirmed(order_id))
    pii_keyring.destroy(str(customer.pk))

    handle_all(subscriber, store.read_stream(f"order-{order_id}"))

    assert len(events) == 2 and mailoutbox == []
    assert OrderContact.objects.get(order_id=order_id).contact_email == "[erased]"
    assert Notification.objects.get(order_id=order_id).outcome == Outcome.ERASED


def test_an_order_created_before_the_subscriber_started_is_loaded_once_from_its_stream(store, subscriber, customer,
                                                                                      mailoutbox):
    order_id = uuid4()
    creation, confirmation = record(store, order_id, created(order_id, customer), OrderConfirmed(order_id))
    subscriber.handle(confirmation)  # the OrderCreated was never seen (started at the head)

    assert mailoutbox[0].to == ["ada@example.com"]
    assert OrderContact.objects.get(order_id=order_id).currency == "EUR"


def test_events_older_than_the_limit_are_recorded_but_not_mailed(store, subscriber, customer, mailoutbox, settings):
    settings.NOTIFICATIONS_MAX_AGE_HOURS = 72
    order_id = uuid4()
    creation, confirmation = record(store, order_id, created(order_id, customer), OrderConfirmed(order_id))
    subscriber.handle(creation)
    subscriber.handle(dataclasses.replace(confirmation, recorded_at=datetime.now(UTC) - timedelta(hours=73)))

    assert mailoutbox == []
    assert Notification.objects.get(order_id=order_id).outcome == Outcome.TOO_OLD


def test_a_failing_mail_server_raises_and_records_nothing_so_a_retry_sends_it(store, subscriber, customer,
                                                                            mailoutbox, settings):
    order_id = uuid4()
    creation, confirmation = record(store, order_id, created(order_id, customer), OrderConfirmed(order_id))
    subscriber.handle(creation)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 2  # nothing listens there

    with pytest.raises(OSError):
        subscriber.handle(confirmation)
    assert not Notification.objects.filter(order_id=order_id).exists()

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    subscriber.handle(confirmation)
    assert len(mailoutbox) == 1 and Notification.objects.get(order_id=order_id).outcome == Outcome.SENT


@pytest.mark.parametrize(("carrier", "expected"), [
    ("DHL", "https://www.dhl.com/global-en/home/tracking/tracking-parcel.html?submit=1&tracking-id=T%2F1"),
    ("  ups ", "https://www.ups.com/track?tracknum=T%2F1"),
    ("Royal Mail", "https://www.royalmail.com/track-your-item#/tracking-results/T%2F1"),
    ("Pigeon Post", None),
])
def test_tracking_links_exist_for_well_known_carriers_only(carrier, expected):
    assert tracking_url(carrier, "T/1") == expected


def test_staff_see_recipients_masked():
    assert (mask("ada@example.com"), mask(""), mask("odd")) == ("a***@example.com", "", "***")
