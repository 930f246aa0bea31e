"""RFC 9457 problem details: every API error, whatever raised it, becomes `application/problem+json`."""
from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import Http404
from rest_framework import exceptions as drf
from rest_framework.response import Response

from eventlog.errors import ConcurrencyError, EventStoreUnavailableError, StreamNotFoundError
from eventlog.pii import KeyringUnavailableError
from eventlog.subscriptions.errors import DeadLetterNotFoundError, SubscriberBusyError
from orders.domain import errors as domain
from orders.handlers import ContentionError
from orders.idempotency import IdempotencyKeyReusedError
from projections.ops import is_unavailable
from projections.selectors import InvalidCursorError

log = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:ordersys:problem:"
RETRY_AFTER_SECONDS = 1


def problem_type(slug: str) -> str:
    """The `type` URI of one kind of problem."""
    return f"{TYPE_PREFIX}{slug}"


# Every problem type the API uses, with what it means (also listed in the OpenAPI description).
PROBLEM_TYPES: dict[str, str] = {
    "validation-error": "The request body or a parameter has the wrong shape; `errors` names each field.",
    "malformed-request": "The body is not valid JSON.",
    "not-authenticated": "No valid credentials were sent.",
    "permission-denied": "Authenticated, but not allowed to do this.",
    "not-found": "No such resource (or it belongs to someone else).",
    "method-not-allowed": "The resource does not support this method.",
    "not-acceptable": "The API cannot answer in the media type asked for.",
    "unsupported-media-type": "Send request bodies as application/json.",
    "payload-too-large": "The request body is larger than the server accepts (DATA_UPLOAD_MAX_MEMORY_SIZE).",
    "precondition-failed": "If-Match named a version the aggregate is no longer at; read it again.",
    "invalid-transition": "The order's current state does not allow this action.",
    "business-rule": "The domain refused the command (payment mismatch, inactive product, stock...).",
    "already-exists": "The aggregate exists already.",
    "contention": "Other writers kept changing the aggregate; retry shortly.",
    "idempotency-key-reused": "The Idempotency-Key was used before with a different request.",
    "idempotency-key-in-use": "A request with this Idempotency-Key is still being processed; retry shortly.",
    "throttled": "Too many requests; wait for Retry-After seconds.",
    "locked-out": "Too many failed logins for this username or address; wait for Retry-After seconds or ask staff.",
    "subscriber-busy": "A projection worker holds the subscriber's lock; retry shortly.",
    "service-unavailable": "The event store or Redis cannot be reached; retry after Retry-After seconds.",
    "internal-error": "An unexpected error; it has been logged.",
}


@dataclass
class ProblemError(Exception):
    """An error the API answers with; raise it from a view or get one from `problem_for`."""

    status: int
    slug: str
    title: str
    detail: str
    errors: list[dict[str, Any]] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        Exception.__init__(self, self.detail)

    def body(self, *, instance: str) -> dict[str, Any]:
        """The JSON body (type, title, status, detail, instance, and errors/extras when present)."""
        body: dict[str, Any] = {"type": problem_type(self.slug), "title": self.title, "status": self.status,
                                "detail": self.detail, "instance": instance}
        if self.errors is not None:
            body["errors"] = self.errors
        body.update(self.extra)
        return body

    def response(self, *, instance: str) -> Response:
        """A DRF response with the problem+json media type."""
        return Response(self.body(instance=instance), status=self.status, headers=self.headers,
                        content_type=PROBLEM_CONTENT_TYPE)


def validation_problem(errors: list[dict[str, Any]], *, detail: str | None = None) -> ProblemError:
    """400 with one entry per offending field."""
    if detail is None:
        detail = "; ".join(f"{e['field']}: {e['detail']}" if e["field"] else e["detail"] for e in errors[:5])
    return ProblemError(400, "validation-error", "Invalid request", detail or "the request is invalid", errors=errors)


def field_problem(field_name: str, message: str) -> ProblemError:
    """400 for a single field."""
    return validation_problem([{"field": field_name, "detail": message}])


def not_found(detail: str, **headers: str) -> ProblemError:
    """404; also what a customer gets for someone else's order."""
    return ProblemError(404, "not-found", "Not found", detail, headers=dict(headers))


def too_large_problem(limit: int | None = None) -> ProblemError:
    """413: the request body is over the size limit."""
    detail = "the request body is too large" + (f" (the limit is {limit} bytes)" if limit is not None else "")
    return ProblemError(413, "payload-too-large", "Payload too large", detail)


def unavailable(detail: str) -> ProblemError:
    """503 with Retry-After."""
    return ProblemError(503, "service-unavailable", "Service unavailable", detail,
                   headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def problem_for(exc: BaseException) -> ProblemError | None:
    """The problem an exception stands for, or None for a bug (the caller answers 500)."""
    if isinstance(exc, ProblemError):
        return exc
    for kinds, convert in _CONVERTERS:
        if isinstance(exc, kinds):
            return convert(exc)
    if is_unavailable(exc):
        return unavailable("Redis is unavailable")
    return None


def exception_handler(exc: Exception, context: Mapping[str, Any]) -> Response:
    """DRF's exception handler for the API views: problem details for everything."""
    request = context.get("request")
    instance = request.path if request is not None else ""
    problem = problem_for(exc)
    if problem is None:
        log.exception("unhandled error in %s", instance, exc_info=exc)
        problem = ProblemError(500, "internal-error", "Internal server error", "an unexpected error occurred")
    return problem.response(instance=instance)


# -- converters -----------------------------------------------------------------------------------


def _flatten(detail: Any, prefix: str = "") -> list[dict[str, Any]]:
    """DRF's nested error detail as a flat list of {field, detail} (dotted paths, list indexes)."""
    if isinstance(detail, Mapping):
        flat: list[dict[str, Any]] = []
        for key, value in detail.items():
            name = "" if key == "non_field_errors" else str(key)
            flat.extend(_flatten(value, f"{prefix}.{name}" if prefix and name else prefix or name))
        return flat
    if isinstance(detail, list | tuple):
        if all(isinstance(item, str) for item in detail):
            return [{"field": prefix or None, "detail": str(item)} for item in detail]
        flat = []
        for index, item in enumerate(detail):
            if item:  # DRF puts {} for list items without errors
                flat.extend(_flatten(item, f"{prefix}.{index}" if prefix else str(index)))
        return flat
    return [{"field": prefix or None, "detail": str(detail)}]


def _drf_validation(exc: drf.ValidationError) -> ProblemError:
    return validation_problem(_flatten(exc.detail))


def _drf_generic(exc: drf.APIException) -> ProblemError:
    status = exc.status_code
    slug, title = _DRF_KINDS.get(type(exc), _STATUS_KINDS.get(status, ("business-rule", "Error")))
    headers: dict[str, str] = {}
    # djangorestframework-stubs 3.18.1 leaves out Throttled.wait (seconds until a retry may succeed).
    wait: float | None = exc.wait if isinstance(exc, drf.Throttled) else None  # type: ignore[attr-defined]
    if wait is not None:
        headers["Retry-After"] = str(max(1, int(wait + 0.999)))
        detail = f"too many requests; retry in {headers['Retry-After']} seconds"
    else:
        detail = str(exc.detail) if not isinstance(exc.detail, dict | list) else title
    auth_header = getattr(exc, "auth_header", None)
    if auth_header:
        headers["WWW-Authenticate"] = auth_header
    if status == 403 and isinstance(exc, drf.NotAuthenticated | drf.AuthenticationFailed):
        slug, title = "permission-denied", "Permission denied"
    return ProblemError(status, slug, title, detail, headers=headers)


def _concurrency(exc: ConcurrencyError) -> ProblemError:
    if isinstance(exc, ContentionError):
        return ProblemError(409, "contention", "Conflict", str(exc), headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
    detail = (f"the version moved: you sent If-Match {exc.expected}, the current version is "
              f"{'none' if exc.actual is None else exc.actual}")
    headers = {} if exc.actual is None else {"ETag": f'"{exc.actual}"'}
    return ProblemError(412, "precondition-failed", "Precondition failed", detail, headers=headers,
                   extra={"current_version": exc.actual})


def _unknown_product(exc: domain.UnknownProductError) -> ProblemError:
    return validation_problem([{"field": "lines", "detail": str(exc)}], detail=str(exc))


_DRF_KINDS: dict[type, tuple[str, str]] = {
    drf.ParseError: ("malformed-request", "Malformed request"),
    drf.NotAuthenticated: ("not-authenticated", "Not authenticated"),
    drf.AuthenticationFailed: ("not-authenticated", "Not authenticated"),
    drf.PermissionDenied: ("permission-denied", "Permission denied"),
    drf.NotFound: ("not-found", "Not found"),
    drf.MethodNotAllowed: ("method-not-allowed", "Method not allowed"),
    drf.NotAcceptable: ("not-acceptable", "Not acceptable"),
    drf.UnsupportedMediaType: ("unsupported-media-type", "Unsupported media type"),
    drf.Throttled: ("throttled", "Too many requests"),
}
_STATUS_KINDS: dict[int, tuple[str, str]] = {
    400: ("malformed-request", "Bad request"),
    401: ("not-authenticated", "Not authenticated"),
    403: ("permission-denied", "Permission denied"),
    404: ("not-found", "Not found"),
    503: ("service-unavailable", "Service unavailable"),
}

_CONVERTERS: tuple[tuple[type | tuple[type, ...], Any], ...] = (
    (drf.ValidationError, _drf_validation),
    (drf.APIException, _drf_generic),
    (Http404, lambda exc: not_found(str(exc) or "not found")),
    (RequestDataTooBig, lambda exc: too_large_problem(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)),
    (DjangoPermissionDenied, lambda exc: ProblemError(403, "permission-denied", "Permission denied",
                                                 str(exc) or "permission denied")),
    (ConcurrencyError, _concurrency),
    (EventStoreUnavailableError, lambda exc: unavailable("the event store is unavailable")),
    # No or a wrong master key: personal data is never written in clear, so the command waits for a fix.
    (KeyringUnavailableError, lambda exc: unavailable("personal data cannot be encrypted right now; nothing was "
                                                      "written")),
    (StreamNotFoundError, lambda exc: not_found(str(exc))),
    (InvalidCursorError, lambda exc: field_problem("cursor", str(exc))),
    (IdempotencyKeyReusedError, lambda exc: ProblemError(422, "idempotency-key-reused", "Idempotency key reused",
                                                    str(exc))),
    (domain.CommandValidationError, lambda exc: validation_problem([{"field": exc.field, "detail": exc.problem}])),
    (domain.UnknownProductError, _unknown_product),
    (domain.OrderNotFoundError, lambda exc: not_found(str(exc))),
    (domain.PermissionDeniedError, lambda exc: ProblemError(403, "permission-denied", "Permission denied", str(exc))),
    (domain.InvalidTransitionError, lambda exc: ProblemError(409, "invalid-transition", "Conflict", str(exc))),
    (domain.AlreadyExistsError, lambda exc: ProblemError(409, "already-exists", "Conflict", str(exc))),
    (domain.DomainError, lambda exc: ProblemError(409, "business-rule", "Conflict", str(exc))),
    (DeadLetterNotFoundError, lambda exc: not_found(str(exc))),
    (SubscriberBusyError, lambda exc: ProblemError(409, "subscriber-busy", "Conflict", str(exc),
                                              headers={"Retry-After": str(RETRY_AFTER_SECONDS)})),
)
