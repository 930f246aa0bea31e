"""/healthz reports the real dependencies; production settings pass Django's deploy checks."""
from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest

from config.devstack.local_services import free_port
from eventlog import connections
from eventlog.store import EventStore

ROOT = Path(__file__).resolve().parents[2]


def test_healthz_is_green_when_everything_is_up(admin_client, redis_client):
    response = admin_client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"eventstore", "redis", "broker", "keyring"}
    for check in body["checks"].values():
        assert check["status"] == "up" and check["latency_ms"] >= 0


@pytest.fixture
def unreachable_eventstore():
    store = EventStore(f"esdb://127.0.0.1:{free_port()}?Tls=false")
    with connections.use(store=store):
        yield
    store.close()


def test_healthz_is_503_and_names_the_event_store_when_it_is_down(admin_client, client, unreachable_eventstore):
    response = admin_client.get("/healthz")

    assert response.status_code == 503 and response.json()["status"] == "down"
    checks = response.json()["checks"]
    assert checks["eventstore"]["status"] == "down" and "unavailable" in checks["eventstore"]["error"]
    assert checks["redis"]["status"] == "up"
    anonymous = client.get("/healthz")  # the status alone: latencies and errors are for staff and scrapers
    assert anonymous.status_code == 503 and anonymous.json() == {"status": "down"}


def test_healthz_is_degraded_and_names_the_keyring_without_a_master_key(admin_client, client, redis_client):
    from eventlog.pii import use_keyring
    from eventlog.pii.keys import Keyring
    from eventlog.pii.master import LocalMasterKey
    from eventlog.pii.table import DatabaseKeyTable

    with use_keyring(Keyring(DatabaseKeyTable(), LocalMasterKey.from_text(""))):
        response = admin_client.get("/healthz")
        anonymous = client.get("/healthz")

    assert response.status_code == 200 and response.json()["status"] == "degraded"
    assert response.json()["checks"]["keyring"]["status"] == "down"
    assert any("PII_MASTER_KEY is not set" in reason for reason in response.json()["reasons"])
    assert anonymous.json() == {"status": "degraded"}


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS"}}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env={**clean, **env},
                          capture_output=True, text=True, timeout=60)


def test_production_settings_pass_the_deploy_checks():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", DEBUG="false",
                     SECRET_KEY="x9!kd2-" * 10, ALLOWED_HOSTS="orders.example.com")
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    result = _manage("check", DEBUG="false", ALLOWED_HOSTS="orders.example.com")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_a_missing_or_malformed_master_key_is_a_warning_of_manage_py_check_and_the_app_still_starts():
    missing = _manage("check", DEBUG="true", PII_MASTER_KEY="")
    malformed = _manage("check", DEBUG="true", PII_MASTER_KEY="not-base64!")
    fine = _manage("check", DEBUG="true", PII_MASTER_KEY=base64.b64encode(bytes(32)).decode())

    assert missing.returncode == 0 and "pii.W001" in missing.stderr + missing.stdout
    assert "PII_MASTER_KEY is not set" in missing.stderr + missing.stdout
    assert "PII_MASTER_KEY is not valid base64" in malformed.stderr + malformed.stdout
    assert "pii.W001" not in fine.stderr + fine.stdout
