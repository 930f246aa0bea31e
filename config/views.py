"""Project-level views that belong to no single app."""
from __future__ import annotations

import hmac
import os

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest, multiprocess

from eventlog.health import check_all
from orders import roles
from projections.metrics import ReadSideCollector


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """State and latency of the event store, Redis and the broker; 503 when any is down."""
    results = check_all()
    healthy = all(result.ok for result in results)
    body = {"status": "ok" if healthy else "degraded", "checks": {r.name: r.as_dict() for r in results}}
    return JsonResponse(body, status=200 if healthy else 503)


@require_GET
def ping(request: HttpRequest) -> JsonResponse:
    """The cheapest JSON answer Django can give: the baseline of the HTTP benchmarks, and a liveness probe."""
    return JsonResponse({"ok": True})


_read_side = CollectorRegistry()  # measured at scrape time; never at import (no auto-describe)
_read_side.register(ReadSideCollector())


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus metrics, for staff with orders.view_metrics or a scraper holding METRICS_TOKEN (Bearer)."""
    if not roles.may(request.user, roles.VIEW_METRICS) and not _has_metrics_token(request):
        return HttpResponse("metrics need a staff login with orders.view_metrics or the metrics token\n", status=403,
                            content_type="text/plain")
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # gunicorn workers: add up every process's counters
        process_metrics = CollectorRegistry()
        multiprocess.MultiProcessCollector(process_metrics)
    else:
        process_metrics = REGISTRY
    body = generate_latest(process_metrics) + generate_latest(_read_side)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)


def _has_metrics_token(request: HttpRequest) -> bool:
    expected = settings.METRICS_TOKEN
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())
