"""Errors of the subscription machinery (all are EventLogErrors)."""
from __future__ import annotations

from eventlog.errors import EventLogError


class SubscriptionError(EventLogError):
    """Root of the subscription runner's errors."""


class LockLostError(SubscriptionError):
    """Our lease on a subscriber's lock expired and someone else may hold it: we must not write."""


class SubscriberBusyError(SubscriptionError):
    """Another worker holds the subscriber's lock right now; try again later."""


class DeadLetterNotFoundError(SubscriptionError):
    """No dead letter with that event id for that subscriber."""


class NotRebuildableError(SubscriptionError):
    """The subscriber's spec says it cannot be rebuilt (process managers send commands)."""
