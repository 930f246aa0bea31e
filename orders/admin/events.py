"""Staff admin pages over the event store: any aggregate's timeline with time travel, and the event browser."""
from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from django.contrib.admin import AdminSite
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, register_converter, reverse

from eventlog import browser, codec
from eventlog.errors import EventDecodeError, EventStoreUnavailableError
from eventlog.timeline import TimelineEntry
from orders import roles
from orders.admin.forms import EventFilterForm
from orders.admin.pages import binder
from orders.query_params import int_param
from orders.timelines import AGGREGATES, describe, newest_timeline, stream_timeline, window_start

TIMELINE_PAGE = 50
BROWSER_PAGE = 50
SCAN_LIMIT = browser.DEFAULT_SCAN_LIMIT


class StreamNameConverter:
    """Any stream name the store can hold, "/" and newlines included (`str` stops at "/")."""

    regex = "(?s:.+)"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(StreamNameConverter, "stream")


def timeline_url(stream_name: str, **params: int | None) -> str:
    """The admin timeline of a stream, for any name: in the path when a browser keeps it intact, else in ?stream=.

    `params` become the query (`version`, `from`); None values are left out.
    """
    query: dict[str, str | int] = {key: value for key, value in params.items() if value is not None}
    if _path_safe(stream_name):
        base = reverse("admin:es_stream_timeline", args=[stream_name])
    else:
        base, query = reverse("admin:es_stream_lookup"), {"stream": stream_name, **query}
    return f"{base}?{urlencode(query)}" if query else base


def _path_safe(stream_name: str) -> bool:
    # Browsers resolve "." and ".." path segments (and treat "\\" as "/") before sending a URL.
    segments = stream_name.replace("\\", "/").split("/")
    return bool(stream_name) and not any(segment in (".", "..") for segment in segments)


def urls(site: AdminSite) -> list[URLPattern]:
    """The event pages, inside the admin's URL namespace."""
    bind = binder(site)
    return [
        path("eventlog/events/", bind(event_browser), name="es_event_browser"),
        path("eventlog/stream/", bind(stream_lookup), name="es_stream_lookup"),
        path("eventlog/stream/<stream:stream_name>/", bind(stream_events), name="es_stream_timeline"),
    ]


# -- one aggregate's timeline ------------------------------------------------------------------------


def stream_lookup(request: HttpRequest, site: AdminSite) -> HttpResponse:
    """The timeline of the stream named in ?stream= (redirected to its own URL where it can have one)."""
    roles.require(request.user, roles.BROWSE_EVENT_LOG)
    name = request.GET.get("stream", "").strip()
    if not name:
        return redirect(reverse("admin:es_event_browser"))
    if _path_safe(name):
        return redirect(timeline_url(name))
    return stream_events(request, site, stream_name=name)


def stream_events(request: HttpRequest, site: AdminSite, *, stream_name: str) -> HttpResponse:
    """Every event of an order or inventory stream, and the state as of any version with its diff."""
    if not roles.may_read_stream(request.user, stream_name):
        raise PermissionDenied(f"reading {stream_name} needs the permission {roles.BROWSE_EVENT_LOG}")
    given_start = start = int_param(request.GET, "from")
    as_of = int_param(request.GET, "version")
    try:
        if start is None:  # the newest page by default
            timeline = newest_timeline(stream_name, limit=TIMELINE_PAGE)
            start = window_start(timeline.last_version, size=TIMELINE_PAGE) if timeline is not None else None
        else:
            timeline = stream_timeline(stream_name, from_version=start, limit=TIMELINE_PAGE)
        if timeline is None:
            raise Http404("no such aggregate (order-<uuid> or inventory-<sku>)")
        selected = _selected(stream_name, timeline.entries, as_of)
    except EventDecodeError as error:
        return _error(request, site, f"This stream has an event that cannot be decoded: {error}")
    except EventStoreUnavailableError as error:
        return _error(request, site, f"The event store cannot be reached: {error}")
    start = start or 0
    end = timeline.entries[-1].version if timeline.entries else start
    context = {
        **site.each_context(request),
        "title": f"Timeline of {stream_name}",
        "stream_name": stream_name, "kind": timeline.kind, "aggregate_id": timeline.aggregate_id,
        "rows": [{**_row(entry), "url": timeline_url(stream_name, version=entry.version, **{"from": given_start})}
                 for entry in timeline.entries],
        "last_version": timeline.last_version,
        "selected": selected, "selected_state": _pretty(selected.state) if selected else "",
        "selected_changes": [_change(change) for change in selected.changes] if selected else [],
        "older_url": timeline_url(stream_name, **{"from": max(0, start - TIMELINE_PAGE)}) if start > 0 else None,
        "newer_url": timeline_url(stream_name, **{"from": end + 1}) if end < timeline.last_version else None,
        "order_id": timeline.aggregate_id if timeline.kind == "order" and roles.may(request.user, roles.VIEW_ORDERS)
        else None,
        "may_browse": roles.may(request.user, roles.BROWSE_EVENT_LOG),
    }
    return TemplateResponse(request, "admin/es/stream_timeline.html", context)


def _selected(stream_name: str, entries: tuple[TimelineEntry, ...], as_of: int | None) -> TimelineEntry | None:
    if as_of is None:
        return entries[-1] if entries else None
    for entry in entries:
        if entry.version == as_of:
            return entry
    other = stream_timeline(stream_name, from_version=as_of, to_version=as_of, limit=1)
    if other is None or not other.entries:
        raise Http404(f"{stream_name} has no version {as_of}")
    return other.entries[0]


def _row(entry: TimelineEntry) -> dict[str, Any]:
    event = entry.event
    return {"version": entry.version, "event": event, "summary": describe(event), "data": _pretty(_plain(event.data)),
            "changes": [_change(change) for change in entry.changes]}


def _change(change: Any) -> dict[str, str]:
    return {"path": change.path, "before": _short(change.before), "after": _short(change.after)}


# -- the event browser -------------------------------------------------------------------------------


def event_browser(request: HttpRequest, site: AdminSite) -> HttpResponse:
    """$all newest first, filtered by stream prefix, event type, correlation id and time range."""
    roles.require(request.user, roles.BROWSE_EVENT_LOG)
    form = EventFilterForm(request.GET or None)
    page, query, error = None, None, None
    if form.is_bound and not form.is_valid():
        error = "Please correct the filters."
    else:
        data = form.cleaned_data if form.is_bound else {}
        query = browser.EventQuery(stream_prefix=(data.get("stream_prefix") or "").strip(),
                                   event_type=(data.get("event_type") or "").strip(),
                                   correlation_id=data.get("correlation_id"),
                                   since=data.get("since"), until=data.get("until"))
        try:
            page = browser.browse(query, before=data.get("before"), page_size=BROWSER_PAGE, scan_limit=SCAN_LIMIT)
        except EventStoreUnavailableError as exc:
            error = f"The event store cannot be reached: {exc}"
    rows = [_browser_row(event) for event in page.events] if page else []
    context = {
        **site.each_context(request),
        "title": "Event browser",
        "form": form, "page": page, "rows": rows, "error": error, "query": query,
        "next_url": _with(request.GET, before=page.next_before) if page and page.next_before else None,
        "newest_url": _with(request.GET, before=None) if request.GET.get("before") else None,
        "streams": sorted({(row["event"].stream_name, row["has_timeline"]) for row in rows}),
    }
    status = 400 if form.is_bound and not form.is_valid() else 200
    return TemplateResponse(request, "admin/es/event_browser.html", context, status=status)


def _browser_row(event: Any) -> dict[str, Any]:
    kind = event.stream_name.partition("-")[0]
    return {"event": event, "data": _pretty(event.data), "has_timeline": kind in AGGREGATES}


# -- helpers -----------------------------------------------------------------------------------------


def _with(params: QueryDict, **changes: Any) -> str:
    query = params.copy()
    for key, value in changes.items():
        if value is None:
            query.pop(key, None)
        else:
            query[key] = str(value)
    return "?" + query.urlencode()


def _plain(value: Any) -> Any:
    try:
        return codec.to_plain(value)
    except Exception:  # not a typed dataclass (undecoded JSON, a string): show it as it is
        return value


def _pretty(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, default=str, ensure_ascii=False)


def _short(value: Any) -> str:
    return "—" if value is None else json.dumps(value, default=str, ensure_ascii=False)


def _error(request: HttpRequest, site: AdminSite, message: str) -> HttpResponse:
    context = {**site.each_context(request), "title": "Event store", "message": message}
    return TemplateResponse(request, "admin/es/error.html", context, status=503)
