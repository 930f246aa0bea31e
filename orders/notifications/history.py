"""What staff see of an order's notifications: which went out (or were skipped), to whom (masked), when."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from orders.notifications.models import Kind, Notification, Outcome
from orders.notifications.recipients import mask


@dataclass(frozen=True, slots=True)
class NotificationLine:
    """One notification as the admin order page lists it."""

    kind: str
    outcome: str
    sent: bool
    recipient: str  # masked
    at: datetime


def notifications_of(order_id: UUID) -> list[NotificationLine]:
    """The order's notifications, oldest first."""
    return [NotificationLine(kind=Kind(n.kind).label, outcome=Outcome(n.outcome).label, sent=n.outcome == Outcome.SENT,
                             recipient=mask(n.recipient), at=n.recorded_at)
            for n in Notification.objects.filter(order_id=order_id)]
