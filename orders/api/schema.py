"""OpenAPI pieces shared by the views: problem responses, request and response headers, path parameters."""
from __future__ import annotations

from typing import Any

from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse

from orders.api.problems import PROBLEM_CONTENT_TYPE
from orders.api.serializers import SKU_REGEX, ProblemSerializer

_DESCRIPTIONS = {
    400: "Invalid input (problem details; `errors` lists the fields).",
    401: "Not authenticated (no or a bad token / session).",
    403: "Not allowed (e.g. a customer calling a staff-only endpoint, or a CSRF failure).",
    404: "Not found (also another customer's order).",
    409: "Refused by a business rule, or contention; `detail` says why.",
    412: "If-Match named a version the aggregate is no longer at.",
    422: "The Idempotency-Key was used before with a different request.",
    429: "Throttled; see Retry-After.",
    503: "The event store or Redis is unavailable; see Retry-After.",
}


def problems(*codes: int) -> dict[Any, OpenApiResponse]:
    """Problem-detail responses for the given status codes (503 is always added)."""
    return {(code, PROBLEM_CONTENT_TYPE): OpenApiResponse(ProblemSerializer, description=_DESCRIPTIONS[code])
            for code in sorted({*codes, 503})}


def _header(name: str, description: str, *, response: list[int] | bool = False, required: bool = False,
            schema: Any = OpenApiTypes.STR, pattern: str | None = None) -> OpenApiParameter:
    return OpenApiParameter(name, schema, OpenApiParameter.HEADER, description=description, response=response,
                            required=required, pattern=pattern)


# -- request headers ------------------------------------------------------------------------------

IDEMPOTENCY_KEY = _header(
    "Idempotency-Key",
    "Optional on every POST. The same key (per user, kept 24 h) with the same body returns the first response "
    "without new events; with a different body it is 422. 1-255 visible ASCII characters; use a UUID.",
    pattern=r"^[\x21-\x7e]{1,255}$")
IF_MATCH = _header("If-Match", 'The ETag of the aggregate as you last read it (e.g. "3"); 412 if it moved.',
                   pattern=r'^(\*|"[0-9]{1,18}"|[0-9]{1,18})$')
X_MIN_POSITION = _header("X-Min-Position", "Same as ?min_position= (the query parameter wins).",
                         pattern=r"^[0-9]{1,19}$")
MIN_POSITION = OpenApiParameter(
    "min_position", OpenApiTypes.INT64, OpenApiParameter.QUERY,
    description="A commit position from a command response: wait (about a second at most) until the read model "
                "has reached it; if it has not, the response says `stale: true` and `X-Data-Stale: true`. A "
                "position beyond the event store's head is answered at once as stale, with the head in "
                "`X-Event-Head`.")

# -- response headers -----------------------------------------------------------------------------

ETAG = _header("ETag", 'The aggregate version, e.g. "3"; send it back as If-Match.', response=[200, 201])
X_DATA_STALE = _header("X-Data-Stale", "true if the read model had not reached min_position in time.",
                       response=[200])
X_EVENT_HEAD = _header("X-Event-Head", "Set when min_position is beyond the event store's head: the head's commit "
                                       "position (the read was answered at once, as stale).",
                       response=[200], schema=OpenApiTypes.INT64)
LOCATION = _header("Location", "Where to read the aggregate the command changed.", response=[200, 201])
X_EVENT_POSITION = _header("X-Event-Position", "The command's commit position; use as min_position.",
                           response=[200, 201], schema=OpenApiTypes.INT64)
IDEMPOTENT_REPLAYED = _header("Idempotent-Replayed", "true when the response is a replay for an Idempotency-Key.",
                              response=[200, 201])
RETRY_AFTER = _header("Retry-After", "Seconds to wait before retrying.", response=[409, 429, 503],
                      schema=OpenApiTypes.INT)

READ_HEADERS = [MIN_POSITION, X_MIN_POSITION, X_DATA_STALE, X_EVENT_HEAD]
CREATE_HEADERS = [IDEMPOTENCY_KEY, LOCATION, ETAG, X_EVENT_POSITION, IDEMPOTENT_REPLAYED, RETRY_AFTER]
COMMAND_HEADERS = [IF_MATCH, *CREATE_HEADERS]

# -- path parameters ------------------------------------------------------------------------------

ORDER_ID = OpenApiParameter("order_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The order's id.")
SKU = OpenApiParameter("sku", OpenApiTypes.STR, OpenApiParameter.PATH, pattern=SKU_REGEX, description="A sku.")
STREAM = OpenApiParameter("stream", OpenApiTypes.STR, OpenApiParameter.PATH,
                          pattern=r"^(order|inventory)-[A-Za-z0-9._-]{1,64}$",
                          description="An aggregate stream: order-<uuid> or inventory-<sku>.")
SUBSCRIBER = OpenApiParameter("name", OpenApiTypes.STR, OpenApiParameter.PATH,
                              description="A subscriber name from GET /api/projections/.")

CREATE_ORDER_EXAMPLE = OpenApiExample("Two mugs", value={"lines": [{"sku": "MUG-BLUE", "quantity": 2}]},
                                      request_only=True)


class CachedKnoxTokenScheme(KnoxTokenScheme):
    """The token scheme of `CachedTokenAuthentication`: knox's, as far as a client can tell."""

    target_class = "orders.api.authentication.CachedTokenAuthentication"
