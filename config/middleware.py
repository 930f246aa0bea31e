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
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.log import log_response

from config.http_metrics import REQUESTS
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
        request.request_id = request_id  # type: ignore[attr-defined]  # our own attribute on Django's request
        client_id = {"client_request_id": sent[:MAX_LOGGED]} if sent and trusted is None else {}
        started = time.perf_counter()
        with correlated(request_id), structlog.contextvars.bound_contextvars(**client_id):
            response = self.get_response(request)
            log.info("request", method=request.method, path=request.path, status=response.status_code,
                     duration_ms=round((time.perf_counter() - started) * 1000, 2))
            REQUESTS.labels(request.method, str(response.status_code)).inc()
            if response.status_code >= 400:  # Django would log it after this block, without the correlation id
                log_response("%s: %s", response.reason_phrase, request.path, response=response, request=request)
        response[HEADER] = str(request_id)
        return response


def _valid(value: str | None) -> UUID | None:
    try:
        return UUID(value) if value else None
    except ValueError:  # even a trusted proxy's id must be a UUID to go into event metadata
        return None


class BodySizeLimitMiddleware:
    """A body over DATA_UPLOAD_MAX_MEMORY_SIZE is refused with 413 before anything reads it.

    Django would raise RequestDataTooBig wherever the body is first read (CSRF, a parser, the
    idempotency fingerprint), and some of those places turn it into a 500. Deciding on the
    declared Content-Length up front answers every such request the same way: problem+json under
    /api/, a page elsewhere. (Bodies without a length are still bounded by Django when read.)
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and _content_length(request) > limit:
            return too_large(request, limit=limit)
        return self.get_response(request)


def too_large(request: HttpRequest, *, limit: int) -> HttpResponse:
    """413: problem+json for the API, the "too much data" page for everything else."""
    from orders.api.problems import PROBLEM_CONTENT_TYPE, too_large_problem
    from orders.web.middleware import too_large_page

    if request.path.startswith("/api/"):
        return JsonResponse(too_large_problem(limit).body(instance=request.path), status=413,
                            content_type=PROBLEM_CONTENT_TYPE)
    return too_large_page(request)


def _content_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0
