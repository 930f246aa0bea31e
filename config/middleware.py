"""Request ids: every request gets one (or keeps a valid X-Request-ID), used as its correlation id."""
from __future__ import annotations

import time
from collections.abc import Callable
from uuid import UUID, uuid4

import structlog
from django.http import HttpRequest, HttpResponse

from eventlog.correlation import correlated

log = structlog.get_logger("http")
HEADER = "X-Request-ID"


class RequestIdMiddleware:
    """Binds the request id as the correlation id, logs the request, and echoes the id back."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = _valid(request.headers.get(HEADER)) or uuid4()
        request.request_id = request_id
        started = time.perf_counter()
        with correlated(request_id):
            response = self.get_response(request)
            log.info("request", method=request.method, path=request.path, status=response.status_code,
                     duration_ms=round((time.perf_counter() - started) * 1000, 2))
        response[HEADER] = str(request_id)
        return response


def _valid(value: str | None) -> UUID | None:
    try:
        return UUID(value) if value else None
    except ValueError:  # a client's free-form id is not trusted into event metadata
        return None
