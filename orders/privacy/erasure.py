"""Erasing a customer (GDPR article 17): the durable record first, then every copy of their data.

`erase_customer` appends `CustomerErased` (stream `customer-<id>`: who asked and when, no personal
data), then `apply_erasure` does the rest, each step idempotent: the customer's data key is
destroyed (every sealed field of every event and snapshot now opens as "[erased]", in every process
and every rebuild), the account is deactivated and anonymised, and the copies outside the event
store go (saved addresses, API tokens and their cache entries, sessions, login-attempt records,
notification settings and contacts, recipients of past notifications, API idempotency replays).
The read models drop their copies themselves when they read the event.

If applying fails half-way, the event is already there: `reapply_erasures` (worker and `make run`
start-up, `manage.py pii reapply-erasures`) applies every recorded erasure again, which also
re-erases customers that a database restore brought back.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from knox.models import AuthToken

from eventlog import connections
from eventlog.pii import ERASED, keyring
from eventlog.ports import EventStorePort
from orders.addressbook.models import SavedAddress
from orders.domain.commands import EraseCustomer
from orders.domain.errors import CustomerAlreadyErasedError
from orders.domain.events import CustomerErased
from orders.domain.values import Actor
from orders.handlers import CommandResult, dispatch
from orders.notifications.models import Notification, NotificationPreference, OrderContact

__all__ = ["ERASED_USERNAME_PREFIX", "also_erase", "apply_erasure", "erase_customer", "erased_username",
           "is_erased_account", "reapply_erasures"]

log = logging.getLogger(__name__)

ERASED_USERNAME_PREFIX = "erased-"

# Copies kept by higher layers (the API's idempotency replays), registered from AppConfig.ready():
# each is called with the user id and must be idempotent.
_cleanups: list[Callable[[int], None]] = []
_cleanups_lock = threading.Lock()


def also_erase(cleanup: Callable[[int], None]) -> None:
    """Have `cleanup(user_id)` run on every erasure (for copies this layer cannot see); registered once."""
    with _cleanups_lock:
        if cleanup not in _cleanups:
            _cleanups.append(cleanup)


def erased_username(user_id: int) -> str:
    """The username an erased account keeps: unique, and says what happened."""
    return f"{ERASED_USERNAME_PREFIX}{user_id}"


def is_erased_account(user: object) -> bool:
    """Whether this user is an erased customer's anonymised account."""
    return getattr(user, "username", None) == erased_username(int(getattr(user, "pk", 0) or 0))


def erase_customer(customer_id: str, *, actor: Actor) -> CommandResult:
    """Record the erasure (`EraseCustomer`), then apply it; CustomerAlreadyErasedError if it was recorded before.

    A repeated request still applies the erasure again before refusing, so one whose first attempt
    died after the event was appended is completed.
    """
    try:
        result = dispatch(EraseCustomer(customer_id), actor=actor)
    except CustomerAlreadyErasedError:
        apply_erasure(customer_id)
        raise
    apply_erasure(customer_id)
    log.info("customer %s erased by %s", customer_id, actor)
    return result


def apply_erasure(customer_id: str) -> bool:
    """Destroy the customer's key and every copy of their data outside the event store; True if anything changed.

    Idempotent: applying an erasure applied before changes nothing (and returns False).
    """
    destroyed = keyring().destroy(customer_id)
    user_id = _user_id(customer_id)
    if user_id is None:
        return destroyed
    with transaction.atomic():
        changed = _anonymise_account(user_id)
        order_ids = list(OrderContact.objects.filter(customer_id=customer_id).values_list("order_id", flat=True))
        changed |= bool(Notification.objects.filter(order_id__in=order_ids).exclude(recipient=ERASED)
                        .update(recipient=ERASED))
        changed |= _deleted(OrderContact.objects.filter(customer_id=customer_id))
        changed |= _deleted(NotificationPreference.objects.filter(user_id=user_id))
        changed |= _deleted(SavedAddress.objects.filter(owner_id=user_id))
        changed |= _deleted(AuthToken.objects.filter(user_id=user_id))  # their cache entries go with them
    if destroyed or changed:  # (re-applying at every start must not scan Redis once per erased customer)
        for cleanup in list(_cleanups):
            cleanup(user_id)
    return destroyed or changed



def reapply_erasures(*, store: EventStorePort | None = None) -> int:
    """Apply every erasure the event store records (the event-type filter runs on the server); how many."""
    store = store or connections.event_store()
    applied = 0
    for event in store.iter_all(event_types=(CustomerErased.__name__,)):
        if isinstance(event.data, CustomerErased):
            if apply_erasure(event.data.customer_id):
                log.warning("re-applied the erasure of customer %s (a restore, or an erasure cut short)",
                            event.data.customer_id)
            applied += 1
    return applied


def _user_id(customer_id: str) -> int | None:
    # Orders name customers by their user id; anything else has no account to anonymise.
    if not (customer_id.isascii() and customer_id.isdigit()) or len(customer_id) > 18:
        return None
    return int(customer_id)


def _anonymise_account(user_id: int) -> bool:
    user = get_user_model().objects.select_for_update().filter(pk=user_id).first()
    if user is None:
        return False
    username = erased_username(user_id)
    if user.username == username and not user.is_active and not user.email and not user.has_usable_password():
        return False
    old_username = user.get_username()
    user.username, user.email, user.first_name, user.last_name = username, "", "", ""
    user.is_active, user.last_login = False, None
    user.set_unusable_password()
    user.save()  # (bumps the API token cache's generation: every cached token is checked again)
    _forget_logins(old_username)
    _forget_sessions(user_id)
    content_type = ContentType.objects.get_for_model(user)
    LogEntry.objects.filter(content_type=content_type, object_id=str(user_id)).update(object_repr=username)
    return True


def _forget_logins(username: str) -> None:
    """django-axes keeps failed and successful logins by username and IP address."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    for model in (AccessAttempt, AccessFailureLog, AccessLog):
        model.objects.filter(username=username).delete()


def _forget_sessions(user_id: int) -> None:
    # Sessions are signed blobs: the user is found by decoding each live one (erasures are rare).
    mine = [session.pk for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
            if str(session.get_decoded().get("_auth_user_id")) == str(user_id)]
    Session.objects.filter(pk__in=mine).delete()


def _deleted(queryset: QuerySet[Any]) -> bool:
    deleted, _ = queryset.delete()
    return bool(deleted)
