"""How an export leaves the shop: a JSON attachment that no cache keeps, and what counts as an outage."""
from __future__ import annotations

from typing import Any

from django.http import JsonResponse
from django.utils.cache import add_never_cache_headers

from eventlog.errors import EventStoreUnavailableError
from projections.ops import is_unavailable

RETRY_AFTER_SECONDS = 5
UNAVAILABLE = ("The data could not be gathered right now: the event store or Redis cannot be reached. "
               "Nothing was downloaded; try again in a minute.")


def attachment(document: dict[str, Any], *, file_name: str) -> JsonResponse:
    """The document as a downloaded file (`file_name`), never stored by a browser or proxy cache."""
    response = JsonResponse(document, json_dumps_params={"indent": 2, "ensure_ascii": False})
    response["Content-Disposition"] = f'attachment; filename="{file_name}"'
    add_never_cache_headers(response)  # Cache-Control: no-store (and friends): personal data
    return response


def is_outage(error: BaseException) -> bool:
    """Whether `error` means a backing service is down (the export answers 503, whole or not at all)."""
    return isinstance(error, EventStoreUnavailableError) or is_unavailable(error)
