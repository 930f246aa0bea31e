"""Applying an erasure (orders.privacy.erasure) and what notifications do for an erased customer.

Given a customer with an account, saved addresses, a token and order emails on record, when their
erasure is applied, then the key is destroyed and every copy outside the event store is gone, and
applying it again changes nothing. Notifications: an erased customer is never mailed (outcome
"erased"); a contact email that cannot be decrypted now makes the subscriber raise, so the runner
retries and parks the mail instead of losing it.
"""
from __future__ import annotations

from decimal import Decimal
from uuid import uuid4

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from knox.models import AuthToken

from eventlog.envelope import EventMetadata, NewEvent
from eventlog.pii import ERASED, UNAVAILABLE
from orders.addressbook.models import SavedAddress
from orders.domain.errors import CustomerAlreadyErasedError
from orders.domain.events import CustomerErased, OrderConfirmed, OrderCreated
from orders.domain.values import Actor, OrderLine
from orders.notifications.models import Notification, NotificationPreference, OrderContact, Outcome
from orders.notifications.recipients import ContactUnavailableError
from orders.notifications.subscriber import NotificationSubscriber
from orders.privacy import erasure
from tests.factories import ADDRESS

pytestmark = pytest.mark.django_db

LINES = (OrderLine("MUG-1", "Mug", 1, Decimal("7.50")),)


@pytest.fixture
def ada():
    user = get_user_model().objects.create_user("ada", "ada@example.com", "pw-not-used-here-1", first_name="Ada")
    SavedAddress.objects.create(owner=user, recipient_name="Ada", line1="1 Main St", city="London",
                                postal_code="N1 9GU", country="GB")
    AuthToken.objects.create(user=user)
    NotificationPreference.objects.create(user=user, order_emails=True)
    return user


def _order(store, customer_id: str, *, contact_email: str = "ada@example.com"):
    order_id = uuid4()
    metadata = EventMetadata(correlation_id=uuid4(), causation_id=None, actor=f"customer:{customer_id}")
    events = [OrderCreated(order_id=order_id, customer_id=customer_id, lines=LINES, total=Decimal("7.50"),
                           currency="EUR", shipping_address=ADDRESS, contact_email=contact_email),
              OrderConfirmed(order_id)]
    encoded = []
    for event in events:
        event_type, data = store.registry.encode(event, subject=customer_id)
        encoded.append(NewEvent(uuid4(), event_type.name, event.SCHEMA_VERSION, data, metadata))
    store.append(f"order-{order_id}", encoded, expected_version=-1)
    return order_id, store.read_stream(f"order-{order_id}")


def test_applying_an_erasure_removes_every_copy_and_is_idempotent(ada, pii_keyring, store):
    order_id, _ = _order(store, str(ada.pk))
    OrderContact.objects.create(order_id=order_id, customer_id=str(ada.pk), currency="EUR",
                                contact_email="ada@example.com")
    Notification.objects.create(event_id=uuid4(), order_id=order_id, kind="confirmed", recipient="ada@example.com",
                                outcome=Outcome.SENT)

    assert erasure.apply_erasure(str(ada.pk)) is True

    ada.refresh_from_db()
    assert (ada.username, ada.email, ada.first_name, ada.is_active) == (f"erased-{ada.pk}", "", "", False)
    assert not ada.has_usable_password() and ada.last_login is None
    assert pii_keyring.is_erased(str(ada.pk))
    assert not SavedAddress.objects.filter(owner=ada).exists()
    assert not AuthToken.objects.filter(user=ada).exists()
    assert not NotificationPreference.objects.filter(user=ada).exists()
    assert not OrderContact.objects.filter(customer_id=str(ada.pk)).exists()
    assert list(Notification.objects.filter(order_id=order_id).values_list("recipient", flat=True)) == [ERASED]
    [created, _] = store.read_stream(f"order-{order_id}")
    assert created.data.contact_email == ERASED and created.data.shipping_address.line1 == ERASED
    assert created.data.shipping_address.country == ADDRESS.country

    assert erasure.apply_erasure(str(ada.pk)) is False  # nothing left to do


def test_another_customer_is_untouched(ada, pii_keyring, store):
    bob = get_user_model().objects.create_user("bob", "bob@example.com", "pw-not-used-here-2")
    order_id, _ = _order(store, str(bob.pk), contact_email="bob@example.com")
    erasure.apply_erasure(str(ada.pk))
    bob.refresh_from_db()
    assert (bob.username, bob.email, bob.is_active) == ("bob", "bob@example.com", True)
    assert store.read_stream(f"order-{order_id}")[0].data.contact_email == "bob@example.com"


def test_erase_customer_records_who_then_applies_and_refuses_a_second_time(ada, pii_keyring, store, monkeypatch):
    from orders import handlers

    monkeypatch.setattr(handlers.connections, "event_store", lambda: store)
    result = erasure.erase_customer(str(ada.pk), actor=Actor.staff("7"))

    assert result.stream_name == f"customer-{ada.pk}"
    assert result.events == (CustomerErased(customer_id=str(ada.pk), erased_by=Actor.staff("7")),)
    assert pii_keyring.is_erased(str(ada.pk))
    with pytest.raises(CustomerAlreadyErasedError):
        erasure.erase_customer(str(ada.pk), actor=Actor.staff("7"))


def test_reapplying_erasures_erases_again_what_a_restore_brought_back(ada, pii_keyring, store, monkeypatch):
    from orders import handlers

    monkeypatch.setattr(handlers.connections, "event_store", lambda: store)
    erasure.erase_customer(str(ada.pk), actor=Actor.customer(str(ada.pk)))
    # A database restore from before the erasure: the account is back (the key table is A's to restore).
    get_user_model().objects.filter(pk=ada.pk).update(username="ada", email="ada@example.com", is_active=True)
    SavedAddress.objects.create(owner=ada, recipient_name="Ada", line1="1 Main St", city="London",
                                postal_code="N1 9GU", country="GB")

    assert erasure.reapply_erasures(store=store) == 1

    ada.refresh_from_db()
    assert (ada.username, ada.is_active) == (f"erased-{ada.pk}", False)
    assert not SavedAddress.objects.filter(owner=ada).exists()


# -- notifications ------------------------------------------------------------------------------------


def test_an_erased_customer_is_never_mailed(ada, pii_keyring, store):
    subscriber = NotificationSubscriber(store=store)
    order_id, events = _order(store, str(ada.pk))
    subscriber.handle(events[0])  # OrderCreated: the contact is remembered
    erasure.apply_erasure(str(ada.pk))

    subscriber.handle(events[1])  # OrderConfirmed

    assert mail.outbox == []
    [notification] = Notification.objects.filter(order_id=order_id)
    assert (notification.outcome, notification.recipient) == (Outcome.ERASED, ERASED)


def test_an_erased_contact_email_is_no_address_to_write_to(ada, pii_keyring, store):
    subscriber = NotificationSubscriber(store=store)
    order_id, events = _order(store, str(ada.pk))
    OrderContact.objects.create(order_id=order_id, customer_id=str(ada.pk), currency="EUR", contact_email=ERASED)

    subscriber.handle(events[1])

    assert mail.outbox == []
    assert Notification.objects.get(order_id=order_id).outcome == Outcome.ERASED


def test_a_contact_email_that_cannot_be_read_now_is_retried_not_lost(ada, pii_keyring, store):
    subscriber = NotificationSubscriber(store=store)
    order_id, events = _order(store, str(ada.pk))
    OrderContact.objects.create(order_id=order_id, customer_id=str(ada.pk), currency="EUR", contact_email=UNAVAILABLE)

    with pytest.raises(ContactUnavailableError, match="master"):
        subscriber.handle(events[1])

    assert mail.outbox == [] and not Notification.objects.filter(order_id=order_id).exists()


def test_the_pii_command_reapplies_erasures(ada, pii_keyring, store, monkeypatch):
    from io import StringIO

    from django.core.management import call_command

    from orders import handlers

    monkeypatch.setattr(handlers.connections, "event_store", lambda: store)
    erasure.erase_customer(str(ada.pk), actor=Actor.customer(str(ada.pk)))
    get_user_model().objects.filter(pk=ada.pk).update(username="ada", is_active=True)
    out = StringIO()

    call_command("pii", "reapply-erasures", stdout=out)

    assert "re-applied 1 erasure(s)" in out.getvalue()
    ada.refresh_from_db()
    assert not ada.is_active
