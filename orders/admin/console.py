"""Staff admin page of the projections console: subscribers, dead letters, blue/green rebuilds."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.admin import AdminSite
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.views.decorators.http import require_POST

from eventlog.errors import EventStoreUnavailableError
from orders import roles
from orders.admin.pages import binder
from orders.htmx import HtmxHttpRequest
from projections import console


def urls(site: AdminSite) -> list[URLPattern]:
    """The console pages, inside the admin's URL namespace."""
    bind = binder(site, permission=roles.OPERATE_PROJECTIONS)  # every console page and action
    return [
        path("projections/subscribers/", bind(subscribers), name="es_projections"),
        path("projections/subscribers/<str:name>/rebuild/", bind(require_POST(start_rebuild)), name="es_rebuild"),
        path("projections/subscribers/<str:name>/dead-letters/", bind(dead_letters), name="es_dead_letters"),
    ]


def subscribers(request: HtmxHttpRequest, site: AdminSite) -> HttpResponse:
    """Every subscriber: checkpoint, head, lag, generation, state, dead letters, rebuild progress."""
    try:
        rows, error = console.rows(), None
    except EventStoreUnavailableError as exc:
        rows, error = [], f"The event store cannot be reached: {exc}"
    context = {**site.each_context(request), "title": "Projections", "rows": rows, "error": error,
               "busy": any(row.status.rebuild or row.rebuild_requested for row in rows)}
    if request.htmx:  # the table refreshes itself while a rebuild runs
        return TemplateResponse(request, "admin/es/_subscribers.html", context)
    return TemplateResponse(request, "admin/es/projections.html", context)


def start_rebuild(request: HttpRequest, site: AdminSite, *, name: str) -> HttpResponse:
    """Queue a blue/green rebuild; the old generation keeps serving until the switch."""
    try:
        console.start_rebuild(name)
    except KeyError:
        raise Http404("no such subscriber") from None
    except ValueError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Rebuild of {name} requested: a worker fills a new generation while the current "
                                  "one keeps serving, then switches. Progress shows below.")
    return redirect(reverse("admin:es_projections"))


def dead_letters(request: HttpRequest, site: AdminSite, *, name: str) -> HttpResponse:
    """A subscriber's parked events with payload, error and traceback; retry or discard one or many."""
    if name not in console.names():
        raise Http404("no such subscriber")
    if request.method == "POST":
        chosen = request.POST.getlist("event_id")
        if "_all" in request.POST:
            chosen = [letter.event_id for letter in console.list_dead_letters(name)]
        if not chosen:
            messages.warning(request, "Select at least one dead letter.")
        elif "_retry" in request.POST:
            for outcome in console.retry(name, chosen):
                if outcome.succeeded:
                    messages.success(request, f"Event {outcome.event_id} applied; its dead letter is gone.")
                else:
                    messages.error(request, f"Event {outcome.event_id} failed again: {outcome.error}")
        else:
            gone = console.discard(name, chosen)
            messages.success(request, f"Discarded {len(gone)} dead letter{'s' if len(gone) != 1 else ''}.")
        return redirect(reverse("admin:es_dead_letters", args=[name]))
    context = {**site.each_context(request), "title": f"Dead letters of {name}", "name": name,
               "rows": console.dead_letters_with_payloads(name)}
    return TemplateResponse(request, "admin/es/dead_letters.html", context)
