"""The notifications subscriber: one email per order event that concerns the customer, at most once.

Exactly once per event in the product: before anything is sent, the event id is looked up in
`Notification` (unique); after sending, the record is written. Both happen inside `handle`, so the
record is durable before the runner commits the batch's checkpoint: a batch retried after a crash
finds the record and sends nothing. Delivery to the mail server is at-least-once: a crash between
the server accepting a mail and the record being written sends that one mail again (with the same
Message-ID, derived from the event id, so mail systems can tell it is the same message).

Failure policy: "park". A mail server that refuses or is down makes `handle` raise; the runner
retries with backoff, then dead-letters the event with the reason (on the projections console),
and goes on: the shop never waits for mail. Retrying the dead letter later sends it. So does a
contact email that cannot be decrypted now (the master key is missing): the mail waits, it is
never lost. An erased customer is never mailed (outcome "erased").
"""
from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from uuid import UUID

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from eventlog import connections
from eventlog.envelope import RecordedEvent
from eventlog.pii import ERASED, UNAVAILABLE
from eventlog.ports import EventStorePort
from eventlog.subscriptions.base import ReadModelWriter, SubscriberSpec
from orders.domain.events import OrderCreated, OrderEvent
from orders.domain.order import Order
from orders.notifications.drafts import Draft, draft_for, notifies
from orders.notifications.models import Notification, OrderContact, Outcome
from orders.notifications.recipients import ContactUnavailableError, is_erased, recipient_for
from orders.repository import AggregateRepository

__all__ = ["NAME", "NotificationSubscriber"]

log = logging.getLogger(__name__)

NAME = "notifications"
STREAM_PREFIX = "order-"


class NotificationSubscriber:
    """Mails the customer when their order is confirmed, rejected, paid, shipped, delivered or cancelled."""

    # Partitionable by order stream: an order's emails depend only on that order's events, and the
    # records that make each email once are keyed by event id in the database, whatever the partition.
    spec = SubscriberSpec(name=NAME, stream_prefixes=(STREAM_PREFIX,), policy="park", rebuildable=False,
                          batch_size=100, partitionable=True)

    def __init__(self, *, store: EventStorePort | None = None) -> None:
        self._store = store

    @property
    def store(self) -> EventStorePort:
        """Where an order unknown to this subscriber is loaded from (the process-wide store unless given)."""
        return self._store or connections.event_store()

    def handle(self, event: RecordedEvent, writer: ReadModelWriter | None = None) -> None:
        """Remember a new order, or send (or skip, and record) the email an order event calls for."""
        data = event.data
        if not isinstance(data, OrderEvent):
            return
        if isinstance(data, OrderCreated):
            _remember(data)
            return
        if not notifies(data) or Notification.objects.filter(event_id=event.event_id).exists():
            return  # nothing to tell, or decided before (a retried batch, a restarted worker): never twice
        contact = self._contact(data.order_id)
        draft = draft_for(data, currency=contact.currency)
        if draft is None:
            return
        recipient = recipient_for(contact)
        if _too_old(event):
            outcome = Outcome.TOO_OLD
        elif recipient.erased:
            outcome = Outcome.ERASED
        elif recipient.opted_out:
            outcome = Outcome.OPTED_OUT
        elif not recipient.email:
            outcome = Outcome.NO_ADDRESS
        else:
            _send(draft, to=recipient.email, event_id=event.event_id)
            outcome = Outcome.SENT
        Notification.objects.get_or_create(event_id=event.event_id, defaults={
            "order_id": data.order_id, "kind": draft.kind, "outcome": outcome,
            "recipient": ERASED if recipient.erased else recipient.email})

    def _contact(self, order_id: UUID) -> OrderContact:
        """What OrderCreated said about the order; loaded once from its stream if this subscriber missed it."""
        contact = OrderContact.objects.filter(order_id=order_id).first()
        if contact is not None:
            return contact
        order = AggregateRepository(self.store).load(Order, order_id).aggregate
        assert isinstance(order, Order)
        if order.contact_email == UNAVAILABLE:
            raise ContactUnavailableError(order_id)  # not kept: it must be read again once the key is back
        contact_email = ERASED if is_erased(order.customer_id) else order.contact_email or ""
        contact, _ = OrderContact.objects.get_or_create(order_id=order_id, defaults={
            "customer_id": order.customer_id, "currency": order.currency, "contact_email": contact_email})
        return contact


def _remember(created: OrderCreated) -> None:
    # Orders placed before OrderCreated schema version 2 have no contact email (upcast as None).
    if created.contact_email == UNAVAILABLE:
        return  # not kept unreadable: the order's first email loads it from its stream, once it can be read
    OrderContact.objects.get_or_create(order_id=created.order_id, defaults={
        "customer_id": created.customer_id, "currency": created.currency,
        "contact_email": created.contact_email or ""})  # "[erased]" is kept as such: recipient_for says erased


def _too_old(event: RecordedEvent) -> bool:
    return datetime.now(UTC) - event.recorded_at > timedelta(hours=settings.NOTIFICATIONS_MAX_AGE_HOURS)


def _send(draft: Draft, *, to: str, event_id: UUID) -> None:
    """Render the draft's text and HTML bodies and hand them to the configured mail backend (raises on failure)."""
    context = {**draft.context, "subject": draft.subject, "site_url": settings.SITE_URL,
               "order_url": settings.SITE_URL + reverse("web:order_detail", args=[draft.context["order_id"]]),
               "settings_url": settings.SITE_URL + reverse("web:account-notifications")}
    text = render_to_string(f"notifications/email/{draft.kind}.txt", context)
    html = render_to_string(f"notifications/email/{draft.kind}.html", context)
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].rstrip(">").strip() or "localhost"
    message = EmailMultiAlternatives(subject=draft.subject, body=text, from_email=settings.DEFAULT_FROM_EMAIL,
                                     to=[to], headers={"Message-ID": f"<{event_id}@{domain}>",
                                                       "X-Ordersys-Event-Id": str(event_id)})
    message.attach_alternative(html, "text/html")
    message.send(fail_silently=False)
    log.info("sent the %s email of order %s (event %s)", draft.kind, draft.context["order_id"], event_id)
