"""A customer's own data as one JSON document (GDPR articles 15 and 20): what the shop holds about them.

The account, saved addresses and notification settings come from the Django database; the orders
from the customer's index in the orders read model (after a bounded wait for it to catch up with
the newest commands; `orders_current` says whether it had); each order's history from the event store
itself (an explicit download, not a page: it may read the truth, and must not miss what a read
model drops). Everything passes the customer visibility rules (orders/redaction.py), so staff
notes, staff-only reasons and staff identities never reach an export, whoever asks for it.

The document is built whole in memory before anything is sent: when the event store or Redis
cannot be reached the caller gets the error (503 at the door), never half an export.
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from orders.addressbook.book import addresses_of
from orders.addressbook.models import SavedAddress
from orders.notifications.models import Kind, Notification, Outcome
from orders.notifications.recipients import wants_order_emails
from orders.redaction import plain
from orders.timelines import order_timeline
from orders.visibility import customer_view, order_fields_for
from projections import selectors
from projections.consistency import wait_for_published
from projections.orders import NAME as ORDERS_READ_MODEL

FORMAT = "ordersys-customer-data"
VERSION = 1
EVENTS_PER_READ = 500  # an order's history is read in windows of this many events
CATCH_UP_SECONDS = 1.0  # how long an export waits for the orders read model to show the newest orders
# Read-side bookkeeping of an order summary: where the read model stands, nothing about the customer.
_BOOKKEEPING = frozenset({"last_position", "created_position"})


def export_customer(user: Any) -> dict[str, Any]:
    """Everything the shop holds about `user` (a Django user) as a JSON-ready dict; raises on outages."""
    customer_id = str(user.pk)
    # An order placed a moment ago belongs in the export: give the read model a moment to list it.
    current = wait_for_published(ORDERS_READ_MODEL, timeout=CATCH_UP_SECONDS)
    # The index is the customer's; the check keeps an index gone wrong from leaking another's order.
    orders = [_order(summary) for summary in _orders_of(customer_id) if summary.customer_id == customer_id]
    return {
        "format": FORMAT,
        "version": VERSION,
        "generated_at": _moment(datetime.now(UTC)),
        "account": _account(user),
        "saved_addresses": [_saved_address(saved) for saved in addresses_of(user)],
        "notification_settings": {"order_emails": wants_order_emails(int(user.pk))},
        "notifications": _notifications([UUID(order["order_id"]) for order in orders]),
        "orders": orders,
        "orders_current": current,
    }


def file_name(user: Any, *, on: datetime | None = None) -> str:
    """The download's file name: ordersys-data-<username>-<date>.json (the username made safe for a file name)."""
    safe = "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "_" for c in user.get_username())
    return f"ordersys-data-{safe.strip('.') or user.pk}-{(on or datetime.now(UTC)).date().isoformat()}.json"


def _account(user: Any) -> dict[str, Any]:
    return {
        "customer_id": str(user.pk), "username": user.get_username(), "email": user.email,
        "first_name": user.first_name, "last_name": user.last_name,
        "date_joined": _moment(user.date_joined), "last_login": _moment(user.last_login),
        "is_active": user.is_active,
    }


def _saved_address(saved: SavedAddress) -> dict[str, Any]:
    return {"id": saved.pk, **plain(saved.as_shipping_address()), "created_at": _moment(saved.created_at)}


def _notifications(order_ids: list[UUID]) -> list[dict[str, Any]]:
    """The emails about the customer's orders: which went out (to their own address) or why not."""
    return [{"order_id": str(n.order_id), "kind": n.kind, "description": Kind(n.kind).label,
             "recipient": n.recipient, "outcome": n.outcome, "outcome_description": Outcome(n.outcome).label,
             "recorded_at": _moment(n.recorded_at)}
            for n in Notification.objects.filter(order_id__in=order_ids)]


def _orders_of(customer_id: str) -> Iterator[selectors.OrderSummary]:
    """Every order in the customer's index, newest first."""
    cursor = None
    while True:
        page = selectors.list_orders_by_customer(customer_id, cursor=cursor, page_size=selectors.MAX_PAGE_SIZE)
        yield from page.items
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


def _order(summary: selectors.OrderSummary) -> dict[str, Any]:
    fields = {name: value for name, value in plain(summary).items() if name not in _BOOKKEEPING}
    fields["order_id"] = str(summary.order_id)
    return {**order_fields_for(fields, staff=False), "events": _events(summary.order_id)}


def _events(order_id: UUID) -> list[dict[str, Any]]:
    """The order's whole history from the event store, as its customer may see it."""
    events: list[dict[str, Any]] = []
    start = 0
    while True:
        timeline = order_timeline(order_id, from_version=start, limit=EVENTS_PER_READ)
        if timeline is None or not timeline.entries:
            return events
        events += [{"version": entry.version, "event_id": str(entry.event_id), "event_type": entry.event_type,
                    "recorded_at": _moment(entry.recorded_at), "description": entry.description,
                    "data": entry.data}
                   for entry in customer_view(timeline).entries]
        start = timeline.entries[-1].version + 1
        if start > timeline.last_version:
            return events


def _moment(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()
