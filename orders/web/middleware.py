"""Pages answer "back in a moment" (503, refreshing itself) while Redis or the event store is down."""
from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from eventlog.errors import EventStoreUnavailable
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
        if not (isinstance(exception, EventStoreUnavailable) or is_unavailable(exception)):
            return None
        response = TemplateResponse(request, "web/unavailable.html", {"retry_after": RETRY_AFTER_SECONDS},
                                    status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response.render()
