"""HTTP idempotency: `Idempotency-Key` on a POST replays the first response for the same user, key and body.

The event side is already idempotent (dispatch derives event ids from the key); this layer makes
the HTTP side consistent too: the first response that reached a decision (status, body, headers) is
kept 24 h per user and key (a 400 is not kept: the corrected request may reuse the key), a
different body under the same key is 422, and a short per-key lock makes a concurrent
duplicate wait for the first one's answer instead of racing it.

Kept bodies may hold personal data (an order's address), so their keys carry the user id in the
clear (the key itself stays hashed): erasing a customer deletes theirs by pattern (`forget_user`).
"""
from __future__ import annotations

import hashlib
import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.cache import cache
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from eventlog.outages import REDIS_UNREACHABLE
from orders.api.problems import ProblemError, field_problem, problem_for, problem_type

log = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
RECORD_TTL_SECONDS = 24 * 60 * 60
LOCK_TTL_SECONDS = 30  # a crashed request frees its key after this long
WAIT_SECONDS = 5.0  # how long a duplicate waits for the first request's answer
_POLL_SECONDS = 0.02
KEY_PATTERN = re.compile(r"[\x21-\x7e]{1,255}")  # visible ASCII, like Stripe's keys
_KEPT_HEADERS = ("Location", "ETag", "X-Event-Position", "Retry-After")
_NAMESPACE = uuid.UUID("0f4d1a3e-6b1c-4e0a-9d8e-5c2b7a9f1e33")

View = Callable[..., Response]


def key_of(request: Request) -> str | None:
    """The request's idempotency key (validated), or None."""
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not KEY_PATTERN.fullmatch(key):
        raise field_problem(HEADER, "must be 1 to 255 visible ASCII characters (a UUID is a good choice)")
    return key


def derived_id(request: Request, key: str) -> uuid.UUID:
    """A stable id for what this user creates under this key, so a retry targets the same aggregate."""
    return uuid.uuid5(_NAMESPACE, f"{request.user.pk}|{key}")


def idempotent(view: View) -> View:
    """Decorate a POST handler of an APIView/ViewSet: honour `Idempotency-Key` as described above."""

    @wraps(view)
    def wrapper(self: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = key_of(request)
        if key is None or not request.user.is_authenticated:
            return view(self, request, *args, **kwargs)
        fingerprint = _fingerprint(request)
        scope = hashlib.sha256(f"{request.user.pk}|{key}".encode()).hexdigest()
        record_key = f"{_user_prefix(request.user.pk)}{scope}"
        lock_key = f"{record_key}:lock"
        token = uuid.uuid4().hex
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            record = cache.get(record_key)
            if record is not None:
                return _replay(record, fingerprint)
            if cache.add(lock_key, token, timeout=LOCK_TTL_SECONDS):
                break
            if time.monotonic() > deadline:
                raise ProblemError(409, "idempotency-key-in-use", "Conflict",
                              "a request with this Idempotency-Key is still being processed; retry shortly",
                              headers={"Retry-After": "1"})
            time.sleep(_POLL_SECONDS)
        try:
            record = cache.get(record_key)  # the first request may have finished just before we locked
            if record is not None:
                return _replay(record, fingerprint)
            try:
                response = view(self, request, *args, **kwargs)
            except Exception as exc:
                problem = problem_for(exc)
                if problem is None:
                    raise
                response = problem.response(instance=request.path)
            if _reached_a_decision(response):
                cache.set(record_key, _record(response, fingerprint), timeout=RECORD_TTL_SECONDS)
            return response
        finally:
            if cache.get(lock_key) == token:
                cache.delete(lock_key)

    return wrapper


def _user_prefix(user_id: object) -> str:
    # v2: per user, so an erasure finds them (v1 records, keyed by a hash only, expired 24 h after v2 shipped).
    return f"api:idem:v2:u{user_id}:"


def forget_user(user_id: int) -> None:
    """Delete every kept response of this user (on erasure: they may hold an address)."""
    try:
        cache.delete_pattern(f"{_user_prefix(user_id)}*")  # type: ignore[attr-defined]  # django-redis's SCAN + DEL
    except REDIS_UNREACHABLE:
        # The erasure itself stands (key destroyed, account anonymised); these records expire within
        # RECORD_TTL_SECONDS, and the log says which user's to delete by hand before then.
        log.error("could not delete the kept API responses of erased user %s: Redis unreachable", user_id)


def _reached_a_decision(response: Response) -> bool:
    """Whether the response is the request's outcome (kept) or a reason it was never decided (not kept).

    As Stripe does: a request refused by validation (400), throttled (429), beaten by contention or
    failing on an outage (5xx) leaves its key free, so the corrected or retried request goes through.
    Successes and refusals by the rules (403, 404, 409, 412) are outcomes and are replayed.
    """
    status = response.status_code
    if status in (400, 429) or status >= 500:
        return False
    problem_kind = response.data.get("type") if isinstance(response.data, dict) else None
    return problem_kind != problem_type("contention")


def _fingerprint(request: Request) -> str:
    """Method, path, If-Match and the parsed body: the same request gets the same fingerprint."""
    body = {"method": request.method, "path": request.path, "if_match": request.headers.get("If-Match"),
            "data": request.data}
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def _record(response: Response, fingerprint: str) -> dict[str, Any]:
    data = None if response.data is None else json.loads(JSONRenderer().render(response.data))
    headers = {name: response[name] for name in _KEPT_HEADERS if response.has_header(name)}
    return {"fingerprint": fingerprint, "status": response.status_code, "data": data, "headers": headers,
            "content_type": getattr(response, "content_type", None)}


def _replay(record: dict[str, Any], fingerprint: str) -> Response:
    if record["fingerprint"] != fingerprint:
        raise ProblemError(422, "idempotency-key-reused", "Idempotency key reused",
                      "this Idempotency-Key was already used with a different request")
    headers = {**record["headers"], "Idempotent-Replayed": "true"}
    return Response(record["data"], status=record["status"], headers=headers, content_type=record["content_type"])
