"""The event store is the source of truth: with the Celery broker down, commands still succeed, fast."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from config.devstack.local_services import free_port

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = """
import json, time, uuid, django
django.setup()
from orders.domain.commands import ReceiveStock
from orders.domain.values import Actor
from orders.handlers import dispatch
sku = "BROKER-DOWN-" + uuid.uuid4().hex[:8].upper()
started = time.perf_counter()
results = [dispatch(ReceiveStock(sku=sku, quantity=1), actor=Actor.staff("1")) for _ in range(20)]
elapsed = time.perf_counter() - started
time.sleep(1.5)  # the nudge thread tries (and fails) to publish meanwhile; nothing may surface
print(json.dumps({"sku": sku, "elapsed": elapsed, "versions": [r.new_version for r in results]}))
"""


def test_commands_succeed_and_do_not_wait_when_the_broker_is_down(app_store):
    env = {**os.environ, "CELERY_BROKER_URL": f"redis://127.0.0.1:{free_port()}/0"}

    run = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=120)

    assert run.returncode == 0, run.stderr
    outcome = json.loads(run.stdout.strip().splitlines()[-1])
    assert outcome["versions"] == list(range(20))
    assert outcome["elapsed"] < 10, "commands waited for the broker"
    assert len(app_store.read_stream(f"inventory-{outcome['sku']}")) == 20
