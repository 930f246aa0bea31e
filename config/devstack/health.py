"""Probes for /healthz: can we reach the event store, Redis and the Celery broker? Can we seal personal data?"""
from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass

from django.conf import settings
from kombu import Connection

from eventlog import connections, pii

PROBE_TIMEOUT_SECONDS = 2.0
_pool = connections.per_process("devstack.health.probes",
                                lambda: ThreadPoolExecutor(max_workers=6, thread_name_prefix="healthz"))


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """The state of one dependency and how long asking it took."""

    name: str
    ok: bool
    latency_ms: float
    error: str | None = None

    def as_dict(self) -> dict[str, object]:
        result: dict[str, object] = {"status": "up" if self.ok else "down",
                                     "latency_ms": round(self.latency_ms, 2)}
        if self.error:
            result["error"] = self.error
        return result


def probe_eventstore() -> None:
    """Ask the event store for its head position."""
    connections.event_store().head_position()


def probe_redis() -> None:
    """PING the read-model Redis."""
    connections.redis().ping()


def probe_broker() -> None:
    """Open (and close) a connection to the Celery broker."""
    with Connection(settings.CELERY_BROKER_URL, connect_timeout=PROBE_TIMEOUT_SECONDS) as connection:
        # celery-types declares this timeout an int; kombu takes any number of seconds.
        connection.ensure_connection(max_retries=1, timeout=PROBE_TIMEOUT_SECONDS)  # type: ignore[arg-type]


PROBES: dict[str, Callable[[], None]] = {
    "eventstore": probe_eventstore,
    "redis": probe_redis,
    "broker": probe_broker,
}


def _timed(name: str, probe: Callable[[], None]) -> ProbeResult:
    started = time.perf_counter()
    try:
        probe()
    except Exception as error:  # any failure means "down"; the message says why
        elapsed_ms = (time.perf_counter() - started) * 1000
        return ProbeResult(name, False, elapsed_ms, f"{type(error).__name__}: {error}")
    return ProbeResult(name, True, (time.perf_counter() - started) * 1000)


def check_keyring() -> ProbeResult:
    """Whether personal fields can be sealed and opened (master key present and matching the stored keys)."""
    started = time.perf_counter()
    try:
        health = pii.keyring().health()
    except Exception as error:  # a broken keyring is a finding of the health check, never its crash
        return ProbeResult("keyring", False, (time.perf_counter() - started) * 1000, f"{type(error).__name__}: {error}")
    return ProbeResult("keyring", health.ok, (time.perf_counter() - started) * 1000,
                       None if health.ok else health.detail)


def check_all() -> list[ProbeResult]:
    """Run every probe concurrently, each bounded by PROBE_TIMEOUT_SECONDS."""
    futures = {name: _pool.get().submit(_timed, name, probe) for name, probe in PROBES.items()}
    results = []
    for name, future in futures.items():
        try:
            results.append(future.result(timeout=PROBE_TIMEOUT_SECONDS + 0.5))
        except FutureTimeout:
            results.append(ProbeResult(name, False, PROBE_TIMEOUT_SECONDS * 1000, "timed out"))
    return results
