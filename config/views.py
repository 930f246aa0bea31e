"""Project-level views that belong to no single app."""
from __future__ import annotations

import hmac
import os

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest, multiprocess

from config.devstack.health import check_all, check_keyring
from config.metrics_collectors import BeatHeartbeatCollector, DependencyCollector
from orders import roles
from projections.console import needing_attention
from projections.metrics import ReadSideCollector


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """"ok", "degraded" (a subscriber needs a human, or personal data cannot be sealed: still 200) or "down"
    (a dependency is: 503).

    Anonymous callers get the status alone; staff and holders of METRICS_TOKEN also get each
    dependency's latency and the reasons for "degraded".
    """
    results = check_all()
    reasons = _attention_reasons() if all(result.ok for result in results) else []
    # A keyring problem (no or wrong master key) degrades the shop: pages still serve, personal fields read
    # as "[unavailable]" and new orders are refused; taking the web out of rotation would not fix it.
    keyring = check_keyring()
    if not keyring.ok:
        reasons.append(f"personal data: {keyring.error}")
    if not all(result.ok for result in results):
        state, code = "down", 503
    else:
        state, code = ("degraded", 200) if reasons else ("ok", 200)
    body: dict[str, object] = {"status": state}
    if (request.user.is_authenticated and request.user.is_staff) or _has_metrics_token(request):
        body["checks"] = {r.name: r.as_dict() for r in [*results, keyring]}
        body["reasons"] = reasons
    return JsonResponse(body, status=code)


def _attention_reasons() -> list[str]:
    try:
        return [reason for found in needing_attention() for reason in found.reasons]
    except Exception as error:  # Redis answered the probe but not this: say so rather than fail the probe
        return [f"cannot read the subscribers' state: {type(error).__name__}: {error}"]


@require_GET
def ping(request: HttpRequest) -> JsonResponse:
    """The cheapest JSON answer Django can give: the baseline of the HTTP benchmarks, and a liveness probe."""
    return JsonResponse({"ok": True})


_read_side = CollectorRegistry()  # measured at scrape time; never at import (no auto-describe)
_read_side.register(ReadSideCollector())
_read_side.register(DependencyCollector())
_read_side.register(BeatHeartbeatCollector())


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
