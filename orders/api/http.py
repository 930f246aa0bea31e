"""HTTP words for an event-sourced API: ETag / If-Match, read-your-writes, command responses."""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from rest_framework.request import Request
from rest_framework.response import Response

from orders.api.problems import field_problem, not_found
from orders.handlers import CommandResult
from projections.consistency import reach_position

MAX_POSITION = 2**63 - 1
READ_YOUR_WRITES_TIMEOUT = 1.0  # seconds a read waits for the read model to reach min_position
_IF_MATCH = re.compile(r'"(\d{1,18})"|(\d{1,18})')
_POSITION = re.compile(r"[0-9]{1,19}")
_UUID = re.compile(r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}")


def etag(version: int) -> str:
    """The strong ETag of an aggregate version."""
    return f'"{version}"'


def expected_version(request: Request) -> int | None:
    """The version pinned by If-Match (`"3"`), or None when absent or `*`."""
    raw = request.headers.get("If-Match")
    if raw is None or raw.strip() == "*":
        return None
    match = _IF_MATCH.fullmatch(raw.strip())
    if match is None:
        raise field_problem("If-Match", 'must be one ETag from this API, such as "3"')
    return int(match.group(1) or match.group(2))


def parse_order_id(raw: str) -> UUID:
    """The order id of a URL; a malformed one is simply not found."""
    if not _UUID.fullmatch(raw):
        raise not_found(f"order {raw[:60]} was not found")
    return UUID(raw)


def min_position(request: Request) -> int | None:
    """The commit position a read must reflect: `?min_position=` or the `X-Min-Position` header (query wins)."""
    query = _position("min_position", request.query_params.get("min_position"))
    header = _position("X-Min-Position", request.headers.get("X-Min-Position"))
    return query if query is not None else header


def _position(source: str, raw: str | None) -> int | None:
    if raw is None:
        return None
    if not _POSITION.fullmatch(raw) or int(raw) > MAX_POSITION:
        raise field_problem(source, f"must be a commit position (a whole number from 0 to {MAX_POSITION})")
    return int(raw)


@dataclass(frozen=True, slots=True)
class Staleness:
    """Whether a read missed the request's min_position; `head` is the store's head when min_position is past it."""

    stale: bool
    head: int | None = None


def read_freshness(request: Request, names: Sequence[str]) -> Staleness:
    """Wait (bounded) until the read models reach the request's min_position.

    A min_position beyond the event store's head is answered at once as stale (with the head):
    no read model can reach it, so a client cannot hold a worker by asking for the future.
    """
    position = min_position(request)
    if position is None:
        return Staleness(False)
    reach = reach_position(position, names=names, timeout=READ_YOUR_WRITES_TIMEOUT)
    return Staleness(not reach.reached, head=reach.head)


def stale_headers(read: Staleness) -> dict[str, str]:
    """The staleness marker of a read (a hint to retry when it is stale, and the head when it is ahead of it)."""
    if not read.stale:
        return {"X-Data-Stale": "false"}
    headers = {"X-Data-Stale": "true", "Retry-After": "1"}
    if read.head is not None:
        headers["X-Event-Head"] = str(read.head)
    return headers


def command_body(result: CommandResult, *, aggregate_id: str, location: str) -> dict[str, Any]:
    """What a command answers: where its events landed, so the client can read its writes."""
    return {
        "stream": result.stream_name,
        "aggregate_id": aggregate_id,
        "version": result.new_version,
        "commit_position": result.commit_position,
        "events": [{"event_id": str(event_id), "event_type": type(event).__name__}
                   for event_id, event in zip(result.event_ids, result.events, strict=False)],
        "replayed": result.replayed,
        "location": location,
    }


def command_response(result: CommandResult, *, aggregate_id: str, location: str, status: int = 200) -> Response:
    """The command's body with Location, ETag (the new version) and X-Event-Position."""
    headers = {"Location": location, "ETag": etag(result.new_version),
               "X-Event-Position": str(result.commit_position)}
    return Response(command_body(result, aggregate_id=aggregate_id, location=location), status=status,
                    headers=headers)
