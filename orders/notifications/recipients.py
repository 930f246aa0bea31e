"""Who is told about an order: the one place that decides the address, and whether they want mail."""
from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model

from eventlog.pii import ERASED, UNAVAILABLE, keyring
from orders.notifications.models import NotificationPreference, OrderContact


class ContactUnavailableError(Exception):
    """The order's contact email cannot be read now (the master key is missing or wrong): retry, never skip."""

    def __init__(self, order_id: object) -> None:
        super().__init__(f"the contact email of order {order_id} reads {UNAVAILABLE} (the personal-data master "
                         "key is missing or wrong); the email waits until it can be read")


@dataclass(frozen=True, slots=True)
class Recipient:
    """Where an order's emails go ('' when no address is known), whether the customer opted out or was erased."""

    email: str
    opted_out: bool
    erased: bool = False


def recipient_for(contact: OrderContact) -> Recipient:
    """The order's contact email when it has one, else the email of the customer's account.

    Orders are placed with the customer's user id as `customer_id` (pages and API alike); the
    opt-out belongs to that account, whichever address the order names. An erased customer is
    never written to; an address that cannot be decrypted now raises `ContactUnavailableError`.
    """
    if contact.contact_email == UNAVAILABLE:
        raise ContactUnavailableError(contact.order_id)
    if contact.contact_email == ERASED or is_erased(contact.customer_id):
        return Recipient(email="", opted_out=False, erased=True)
    user_id = int(contact.customer_id) if contact.customer_id.isdigit() else None
    account_email = ""
    if user_id is not None and not contact.contact_email:
        account_email = get_user_model().objects.filter(pk=user_id, is_active=True) \
            .values_list("email", flat=True).first() or ""
    opted_out = user_id is not None and NotificationPreference.objects.filter(user_id=user_id,
                                                                              order_emails=False).exists()
    return Recipient(email=contact.contact_email or account_email, opted_out=opted_out)


def is_erased(customer_id: str) -> bool:
    """Whether the customer's personal data was erased (their key destroyed)."""
    return keyring().is_erased(customer_id)


def wants_order_emails(user_id: int) -> bool:
    """Whether this customer gets order emails (the default) or turned them off."""
    return not NotificationPreference.objects.filter(user_id=user_id, order_emails=False).exists()


def set_order_emails(user_id: int, *, enabled: bool) -> None:
    """Turn this customer's order emails on or off."""
    NotificationPreference.objects.update_or_create(user_id=user_id, defaults={"order_emails": enabled})


def mask(email: str) -> str:
    """An address as staff see it in lists: enough to recognise, not to copy (j***@example.com)."""
    local, at, domain = email.partition("@")
    if not at:
        return "***" if email else ""
    return f"{local[:1]}***@{domain}"
