"""What the notifications subscriber keeps: per-order facts, one record per event, and opt-outs.

These live in the Django database, not in Redis: read models may be flushed and rebuilt, and a
rebuilt record of "sent" must never be lost, or customers would be mailed again.
"""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Kind(models.TextChoices):
    """Which email an event sends."""

    CONFIRMED = "confirmed", "Order confirmed"
    REJECTED = "rejected", "Order rejected"
    PAID = "paid", "Payment received"
    SHIPPED = "shipped", "Order shipped"
    DELIVERED = "delivered", "Order delivered"
    CANCELLED = "cancelled", "Order cancelled"


class Outcome(models.TextChoices):
    """What became of a notification."""

    SENT = "sent", "Sent"
    OPTED_OUT = "opted_out", "Not sent: the customer turned order emails off"
    NO_ADDRESS = "no_address", "Not sent: no email address known"
    TOO_OLD = "too_old", "Not sent: the event was too old when it was read"
    ERASED = "erased", "Not sent: the customer's personal data was erased"


class OrderContact(models.Model):
    """Facts from an order's OrderCreated, so later events need no event-store read."""

    order_id = models.UUIDField(primary_key=True)
    customer_id = models.CharField(max_length=150)
    currency = models.CharField(max_length=3)
    contact_email = models.EmailField(blank=True)  # the order's own contact, when its OrderCreated has one

    def __str__(self) -> str:
        return f"order {self.order_id}"


class Notification(models.Model):
    """One event's notification: sent, or skipped and why. The unique event id is the deduplication key."""

    event_id = models.UUIDField(unique=True)
    order_id = models.UUIDField(db_index=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    recipient = models.CharField(max_length=254, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["recorded_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} for order {self.order_id}: {self.outcome}"


class NotificationPreference(models.Model):
    """A customer's choice about order emails (no row: the default, emails on)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True,
                                related_name="notification_preference")
    order_emails = models.BooleanField(default=True)

    def __str__(self) -> str:
        return f"order emails {'on' if self.order_emails else 'off'} for user {self.user_id}"
