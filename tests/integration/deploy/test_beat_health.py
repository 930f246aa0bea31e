"""Beat stamps a heartbeat in Redis as it ticks; `manage.py beat_health` fails when it is missing or old."""
from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from io import StringIO

import pytest
import redis
from django.conf import settings
from django.core.management import CommandError, call_command

from config.beat import HEARTBEAT_KEY, heartbeat_age, write_heartbeat
from tests.faults.stack import Service, base_env, wait_until


@pytest.fixture
def client() -> Iterator[redis.Redis]:
    connection = redis.Redis.from_url(settings.REDIS_URL)
    connection.delete(HEARTBEAT_KEY)
    yield connection
    connection.delete(HEARTBEAT_KEY)
    connection.close()


def test_a_running_beat_keeps_its_heartbeat_fresh(client, tmp_path):
    # Beat's own broker database, so its catch-up messages never reach the run's workers.
    broker = os.environ["REDIS_URL"].rsplit("/", 1)[0] + "/14"
    env = base_env(REDIS_URL=os.environ["REDIS_URL"], CELERY_BROKER_URL=broker,
                   EVENTSTORE_URL=os.environ["EVENTSTORE_URL"], DATABASE_URL=os.environ["DATABASE_URL"])
    beat = Service("beat", [sys.executable, "-m", "celery", "-A", "config", "beat", "--loglevel", "WARNING",
                            "--schedule", str(tmp_path / "schedule")], env, tmp_path / "beat.log",
                   lambda s: client.exists(HEARTBEAT_KEY), 60)
    beat.start()
    try:
        first = float(client.get(HEARTBEAT_KEY))
        out = StringIO()
        call_command("beat_health", "--max-age", "30", stdout=out)
        assert "beat ticked" in out.getvalue()
        # It keeps ticking: a later stamp replaces the first.
        wait_until(lambda: float(client.get(HEARTBEAT_KEY)) > first, timeout=20, what="a second heartbeat")
    finally:
        beat.stop()
    redis.Redis.from_url(broker).flushdb()


def test_no_heartbeat_fails(client):
    with pytest.raises(CommandError, match="has not written its heartbeat"):
        call_command("beat_health")


def test_a_stale_heartbeat_fails(client):
    write_heartbeat(client, now=time.time() - 120)
    assert 119 < heartbeat_age(client) < 130
    with pytest.raises(CommandError, match=r"120s old \(more than 60s\)"):
        call_command("beat_health", "--max-age", "60")
    call_command("beat_health", "--max-age", "600", stdout=StringIO())  # within a looser bound it passes
