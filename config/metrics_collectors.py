"""Gauges measured when /metrics is scraped: are the dependencies up, and is beat ticking.

The alert rules in deploy/prometheus/alerts.yml use them; tests/integration/test_alert_rules.py
checks that every name those rules use is exported.
"""
from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from config.devstack.health import check_all
from eventlog import connections

BEAT_HEARTBEAT_KEY = "ordersys:beat:heartbeat"  # written by beat on every tick (a Unix time or an ISO 8601 time)


class DependencyCollector(Collector):
    """1 or 0 per dependency (event store, Redis, Celery broker), from the same probes as /healthz."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        up = GaugeMetricFamily("ordersys_dependency_up", "1 when the dependency answered its probe.",
                               labels=["dependency"])
        latency = GaugeMetricFamily("ordersys_dependency_probe_seconds", "How long the dependency's probe took.",
                                    labels=["dependency"])
        for result in check_all():
            up.add_metric([result.name], 1 if result.ok else 0)
            latency.add_metric([result.name], result.latency_ms / 1000)
        yield from (up, latency)


class BeatHeartbeatCollector(Collector):
    """Seconds since beat's last tick (+Inf when it never ticked or Redis cannot say)."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        age = GaugeMetricFamily("ordersys_beat_heartbeat_age_seconds",
                                "Seconds since Celery beat last wrote its heartbeat (+Inf: never, or unknown).")
        try:
            value = connections.redis().get(BEAT_HEARTBEAT_KEY)
        except Exception:  # Redis down: ordersys_dependency_up says so; the heartbeat is unknown
            value = None
        age.add_metric([], heartbeat_age(value, now=time.time()))
        yield age


def heartbeat_age(value: bytes | str | None, *, now: float) -> float:
    """Seconds between a stored heartbeat and `now`; +Inf for none or an unreadable one."""
    if value is None:
        return float("inf")
    raw = value.decode() if isinstance(value, bytes) else value
    try:
        beat = float(raw)
    except ValueError:
        try:
            beat = datetime.fromisoformat(raw).timestamp()
        except ValueError:
            return float("inf")
    return max(0.0, now - beat)
