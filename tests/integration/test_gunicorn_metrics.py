"""Under gunicorn with two workers, /metrics adds up every worker's counters, and gunicorn logs JSON."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from config.devstack.local_services import free_port

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow
PINGS = 30


def served_count(body: str) -> int:
    match = re.search(r'^ordersys_http_requests_total\{method="GET",status="200"\} (\S+)$', body, re.M)
    return int(float(match.group(1))) if match else 0


def test_two_workers_metrics_add_up_and_every_line_is_json(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}  # on_starting makes one
    env.update(METRICS_TOKEN="scrape-token", LOG_JSON="true", LOG_LEVEL="INFO", TMPDIR=str(tmp_path))
    log = tmp_path / "gunicorn.log"
    web = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "python:config.gunicorn_hooks",
                            "config.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", "2"],
                           cwd=ROOT, env=env, start_new_session=True, stdout=log.open("w"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.head(f"{base}/ping", timeout=5)  # a 405, not a 200 GET: counted apart
                break
            except requests.RequestException:
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
        for _ in range(PINGS):  # spread over both workers (no keep-alive: each request is a new connection)
            assert requests.get(f"{base}/ping", timeout=5).status_code == 200
        counts = []
        for _ in range(8):
            response = requests.get(f"{base}/metrics", headers={"Authorization": "Bearer scrape-token"}, timeout=10)
            counts.append(served_count(response.text))
    finally:
        os.killpg(web.pid, signal.SIGTERM)
        web.wait(timeout=20)

    # Each scrape sees every 200 GET before it, whichever worker served it: the pings, then the scrapes.
    assert counts == [PINGS + n for n in range(8)]
    directories = list(tmp_path.glob("ordersys-metrics-*"))
    assert len(directories) == 1 and list(directories[0].glob("counter_*.db"))
    lines = [line for line in log.read_text().splitlines() if line.strip()]
    assert any(json.loads(line).get("logger") == "gunicorn.error" for line in lines)
    assert all(line.startswith("{") for line in lines), [line for line in lines if not line.startswith("{")]
