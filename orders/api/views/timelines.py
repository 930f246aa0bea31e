"""Timelines over HTTP: an aggregate's events, what each changed, and its state as of a version."""
from __future__ import annotations

import re
from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from orders import roles
from orders.api.permissions import HasStaffPermission
from orders.api.problems import field_problem, not_found
from orders.api.schema import RETRY_AFTER, STREAM, problems
from orders.api.serializers import TimelineQuerySerializer, TimelineSerializer
from orders.api.views.base import ApiMixin, query
from orders.timelines import Timeline, stream_timeline, window_end, window_start
from orders.visibility import timeline_for
from projections import selectors

STREAM_NAME = re.compile(r"(order|inventory)-[A-Za-z0-9._-]{1,64}")
TIMELINE_DESCRIPTION = (
    "The aggregate's events (oldest first) with a description, the event data, the fields each changed, and "
    "the state after the window's last event. `as_of_version=N` ends the window at version N, so `state` is the "
    "state as of that version (time travel). Staff read it from the event store, so it is never stale; the "
    "order's customer reads the customer timeline read model (it may be a moment behind). Staff with the "
    "`orders.view_orders` permission see everything; anyone else sees the customer's view: no staff notes (no "
    "`OrderNoteAdded` entries, no `notes` in `state`), no staff identities (`cancelled_by` is only a kind) and "
    "no event metadata.")


def timeline_body(request: Request, stream_name: str, *, owner: str | None = None) -> dict[str, Any]:
    """The timeline of a stream for this request's window; 404 if absent (or, with `owner`, not theirs)."""
    params = query(request, TimelineQuerySerializer)
    limit, as_of = params["limit"], params.get("as_of_version")
    from_version = params.get("from_version")
    if from_version is None:
        from_version = 0 if as_of is None else window_start(as_of, size=limit)
    if as_of is not None and as_of < from_version:
        raise field_problem("as_of_version", "must not be before from_version")
    to_version = as_of if as_of is None else min(as_of, window_end(from_version, size=limit))
    missing = f"{stream_name} has no events" + (f" from version {from_version}" if from_version else "")
    if owner is not None and not roles.may_read_stream(request.user, stream_name):
        # The order's customer: the customer timeline read model, already filtered (never the store).
        found = selectors.get_customer_timeline(stream_name.partition("-")[2], from_version=from_version,
                                                to_version=to_version, limit=limit)
        if found is None:
            raise not_found(missing)
        if found.customer_id != owner:
            raise not_found(f"{stream_name} has no events")
        view = found.timeline
    else:
        timeline = stream_timeline(stream_name, from_version=from_version, to_version=to_version, limit=limit)
        if timeline is None:
            raise not_found(missing)
        if owner is not None and not _belongs_to(timeline, owner):
            raise not_found(f"{stream_name} has no events")
        view = timeline_for(timeline, staff=roles.may_read_stream(request.user, stream_name))
    if as_of is not None and as_of > view.last_version:
        raise field_problem("as_of_version", f"the aggregate's newest version is {view.last_version}")
    wanted_end = view.last_version if as_of is None else as_of
    next_from = (view.window_end + 1 if view.window_end is not None and view.window_end < wanted_end else None)
    # Rendered by the serializer the schema documents, so the two cannot drift.
    return TimelineSerializer({
        "stream": view.stream_name,
        "kind": view.kind,
        "aggregate_id": view.aggregate_id,
        "last_version": view.last_version,
        "as_of_version": view.window_end,
        "state": view.state,
        "entries": view.entries,
        "next_from_version": next_from,
    }).data


def _belongs_to(timeline: Timeline, customer_id: str) -> bool:
    return bool(timeline.entries) and timeline.entries[0].state.get("customer_id") == customer_id


class StreamEventsView(ApiMixin, APIView):
    """GET: the timeline of any order or inventory stream (staff)."""

    # Any stream with the event log; an order's also with view_orders, a sku's with manage_stock (see get).
    permission_classes = [HasStaffPermission(roles.BROWSE_EVENT_LOG, roles.VIEW_ORDERS, roles.MANAGE_STOCK)]

    @extend_schema(
        operation_id="streams_events", tags=["timelines"], summary="Timeline of a stream (staff)",
        description=TIMELINE_DESCRIPTION + " Staff with orders.browse_event_log (an order's stream also with "
        "orders.view_orders, an inventory stream with orders.manage_stock).",
        parameters=[STREAM, TimelineQuerySerializer, RETRY_AFTER],
        responses={200: TimelineSerializer, **problems(400, 401, 403, 404)},
    )
    def get(self, request: Request, stream: str) -> Response:
        if not STREAM_NAME.fullmatch(stream):
            raise not_found(f"{stream[:80]} is not an order or inventory stream")
        if not roles.may_read_stream(request.user, stream):
            raise PermissionDenied(f"reading {stream[:80]} needs the permission {roles.BROWSE_EVENT_LOG}")
        return Response(timeline_body(request, stream))
