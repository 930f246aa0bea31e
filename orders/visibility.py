"""What a reader may see of an order: staff see everything; a customer never sees staff notes or who on the staff acted.

One place decides, and every door asks it: the customer's order page, the API's timelines and its
order bodies. "Staff view" means a staff member holding `orders.view_orders`; everyone else (the
order's customer, or staff without that permission) gets the customer view. What the customer view
is, entry by entry, is defined once in `orders.redaction`, which the customer timeline read model
applies too.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from orders import roles
from orders.redaction import (
    ACTOR_FIELDS,
    STAFF_ONLY_EVENT_FIELDS,
    STAFF_ONLY_EVENT_TYPES,
    STAFF_ONLY_FIELDS,
    VisibleEntry,
    VisibleTimeline,
    plain,
    redacted,
    shown_to_customers,
    visible_entry,
    visible_state,
)
from orders.timelines import Timeline

__all__ = ["ACTOR_FIELDS", "STAFF_ONLY_EVENT_FIELDS", "STAFF_ONLY_EVENT_TYPES", "STAFF_ONLY_FIELDS", "VisibleEntry",
           "VisibleTimeline", "customer_view", "order_fields_for", "plain", "sees_staff_view", "staff_view",
           "timeline_for"]


def sees_staff_view(user: Any) -> bool:
    """Whether `user` sees orders as staff do (notes, staff identities, event metadata)."""
    return roles.may(user, roles.VIEW_ORDERS)


def timeline_for(timeline: Timeline, *, staff: bool) -> VisibleTimeline:
    """The timeline as staff (`staff=True`: everything) or as the order's customer may see it."""
    entries = tuple(visible_entry(entry, staff=staff) for entry in timeline.entries
                    if staff or shown_to_customers(entry))
    return VisibleTimeline(
        stream_name=timeline.stream_name, kind=timeline.kind, aggregate_id=timeline.aggregate_id,
        last_version=timeline.last_version,
        window_end=timeline.entries[-1].version if timeline.entries else None,
        entries=entries, state=visible_state(timeline.state, staff=staff))


def customer_view(timeline: Timeline) -> VisibleTimeline:
    """The timeline as the order's customer sees it: no notes, no staff ids, no event metadata."""
    return timeline_for(timeline, staff=False)


def staff_view(timeline: Timeline) -> VisibleTimeline:
    """The whole timeline, for staff."""
    return timeline_for(timeline, staff=True)


def order_fields_for(fields: Mapping[str, Any], *, staff: bool) -> dict[str, Any]:
    """An order's summary fields as this reader may see them (staff-only fields dropped, actors reduced to kinds)."""
    return dict(fields) if staff else redacted(fields)
