"""Request ids: every request gets one, used as its correlation id and echoed as X-Request-ID.

A client's X-Request-ID is its own business: it is logged as `client_request_id`, but it becomes
the correlation id (stored in every event the request appends) only when TRUST_REQUEST_ID_HEADER
says a trusted proxy sets the header, overwriting whatever the client sent.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from uuid import UUID, uuid4

import structlog
from django.conf import settings
from django.http import HttpRequest, HttpResponse

from eventlog.correlation import correlated

log = structlog.get_logger("http")
HEADER = "X-Request-ID"
MAX_LOGGED = 128  # a client's id is logged, not stored; a long one is cut


class RequestIdMiddleware:
    """Binds the request id as the correlation id, logs the request, and echoes the id back."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        sent = request.headers.get(HEADER)
        trusted = _valid(sent) if getattr(settings, "TRUST_REQUEST_ID_HEADER", False) else None
        request_id = trusted or uuid4()
        request.request_id = request_id
        client_id = {"client_request_id": sent[:MAX_LOGGED]} if sent and trusted is None else {}
        started = time.perf_counter()
        with correlated(request_id), structlog.contextvars.bound_contextvars(**client_id):
            response = self.get_response(request)
            log.info("request", method=request.method, path=request.path, status=response.status_code,
                     duration_ms=round((time.perf_counter() - started) * 1000, 2))
        response[HEADER] = str(request_id)
        return response


def _valid(value: str | None) -> UUID | None:
    try:
        return UUID(value) if value else None
    except ValueError:  # even a trusted proxy's id must be a UUID to go into event metadata
        return None
