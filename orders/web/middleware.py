"""Pages answer "back in a moment" (503) while a dependency is down, and say what was wrong with bad input (400/413)."""
from __future__ import annotations

from collections.abc import Callable

from django.contrib import admin
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from eventlog.errors import EventStoreUnavailableError
from eventlog.pii import KeyringUnavailableError
from orders.query_params import BadParameterError
from projections.ops import is_unavailable

RETRY_AFTER_SECONDS = 3


class DependencyOutageMiddleware:
    """Turns an outage of a backing service into a 503 page instead of a server error (not for /api/)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if request.path.startswith("/api/"):
            return None  # the API answers problem+json itself
        if not (isinstance(exception, EventStoreUnavailableError | KeyringUnavailableError)
                or is_unavailable(exception)):
            return None
        response = TemplateResponse(request, "web/unavailable.html", {"retry_after": RETRY_AFTER_SECONDS},
                                    status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response.render()


class BadInputMiddleware:
    """A query parameter a page cannot use is a 400 page that names it; a body over the limit a 413 page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/admin/") and request.GET.get("_to_field") == "":
            # Django's change and delete views look up a field named "" (a 500) where any other
            # unknown field is refused as a bad request.
            return bad_parameter_page(request, BadParameterError("_to_field", "must name a field"))
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if request.path.startswith("/api/"):
            return None  # the API answers problem+json itself
        if isinstance(exception, RequestDataTooBig):
            return too_large_page(request)
        if isinstance(exception, BadParameterError):
            return bad_parameter_page(request, exception)
        return None


def bad_parameter_page(request: HttpRequest, error: BadParameterError) -> HttpResponse:
    """400, in the admin's frame or the shop's, saying which parameter was wrong and why."""
    if request.path.startswith("/admin/"):
        context = {**admin.site.each_context(request), "title": "Bad request", "message": str(error)}
        return TemplateResponse(request, "admin/es/error.html", context, status=400).render()
    return TemplateResponse(request, "web/bad_request.html", {"message": str(error)}, status=400).render()


def too_large_page(request: HttpRequest) -> HttpResponse:
    """The 413 page: the request body was larger than the server accepts."""
    return TemplateResponse(request, "web/too_large.html", {}, status=413).render()
