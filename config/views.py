"""Project-level views that belong to no single app."""
from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from eventlog.health import check_all


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """State and latency of the event store, Redis and the broker; 503 when any is down."""
    results = check_all()
    healthy = all(result.ok for result in results)
    body = {"status": "ok" if healthy else "degraded", "checks": {r.name: r.as_dict() for r in results}}
    return JsonResponse(body, status=200 if healthy else 503)
