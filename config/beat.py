"""Beat's heartbeat: its scheduler stamps a Redis key as it ticks, so a healthcheck can tell it runs.

The key is written by beat itself (not by a task a worker runs), so it proves beat is alive and
ticking even when no worker is, and `manage.py beat_health` fails when the stamp is too old.
"""
from __future__ import annotations

import logging
import time

import redis
from celery.beat import PersistentScheduler

from eventlog import connections

HEARTBEAT_KEY = "ordersys:beat:heartbeat"
WRITE_EVERY_SECONDS = 5.0  # one SET per few seconds is plenty against a healthcheck's threshold
KEY_TTL_SECONDS = 24 * 3600  # a stopped beat leaves no stamp forever

log = logging.getLogger(__name__)


def _client() -> redis.Redis:
    return connections.redis()


def write_heartbeat(client: redis.Redis, *, now: float | None = None) -> None:
    """Stamp the heartbeat key with the current Unix time."""
    client.set(HEARTBEAT_KEY, repr(time.time() if now is None else now), ex=KEY_TTL_SECONDS)


def heartbeat_age(client: redis.Redis, *, now: float | None = None) -> float | None:
    """Seconds since beat last stamped the key (None when it never did, or the stamp expired)."""
    raw = client.get(HEARTBEAT_KEY)
    if raw is None:
        return None
    return (time.time() if now is None else now) - float(raw)


class HeartbeatScheduler(PersistentScheduler):
    """Celery's default scheduler, stamping the heartbeat key as it ticks."""

    def __init__(self, *args, **kwargs) -> None:
        self._last_beat = 0.0
        self._redis: redis.Redis | None = None
        super().__init__(*args, **kwargs)

    def tick(self, *args, **kwargs) -> float:
        """Run due entries, then stamp the heartbeat (at most every WRITE_EVERY_SECONDS)."""
        interval = super().tick(*args, **kwargs)
        if time.monotonic() - self._last_beat >= WRITE_EVERY_SECONDS:
            self._last_beat = time.monotonic()
            try:
                self._redis = self._redis or _client()
                write_heartbeat(self._redis)
            except redis.RedisError as error:
                # Beat keeps scheduling; the stale stamp is what tells the healthcheck.
                log.warning("beat heartbeat not written: %s", error, exc_info=True)  # rate-limited as an outage
        return interval
