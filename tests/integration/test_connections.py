"""The one wiring place: the same clients per thread, and a forked child makes its own of everything."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import config.devstack.health  # noqa: F401 - each module registers its per-process resources on import
import orders.fulfillment  # noqa: F401
import projections.nudge  # noqa: F401
from eventlog import connections

ROOT = Path(__file__).resolve().parents[2]

EXPECTED_RESOURCES = {
    "orders.repository.recent_states", "orders.handlers.stream_locks", "orders.fulfillment.decisions",
    "projections.nudge.publisher", "devstack.health.probes",
}


def in_thread(call):
    """What `call()` returns when another thread calls it."""
    box = []
    thread = threading.Thread(target=lambda: box.append(call()))
    thread.start()
    thread.join()
    return box[0]


def test_call_sites_get_one_store_per_process_with_one_client_per_thread():
    store = connections.event_store()
    store.head_position()

    assert connections.event_store() is store and in_thread(connections.event_store) is store
    assert store.client is store.client  # this thread keeps its client
    assert in_thread(lambda: store.client) is not store.client  # another thread has its own


def test_call_sites_get_the_same_redis_client_within_a_thread():
    client = connections.redis()

    assert connections.redis() is client
    assert client.ping()


def test_every_per_process_resource_is_registered_for_the_fork_rule():
    assert set(connections.resources()) >= EXPECTED_RESOURCES
    assert set(connections.resources()) | {"eventlog.event_store"} == set(connections.registered())


# Run in a fresh process, as gunicorn and Celery prefork do: forking the test runner itself, with
# its many threads mid-call, could leave the child waiting on a lock no thread will release.
FORK_SCRIPT = r"""
import json, os, sys
from uuid import uuid4
import django
django.setup()
import config.devstack.health, orders.fulfillment, projections.nudge
from eventlog import connections
from orders.domain.aggregate import Snapshot
from orders.repository import recent_states

store = connections.event_store()
store.head_position()  # this thread now has a gRPC client
before = {name: resource.get() for name, resource in connections.resources().items()}
key = ("test-store", f"order-{uuid4()}")
recent_states.get().put(key, Snapshot(version=3, state={}))
read, write = os.pipe()
pid = os.fork()
if pid == 0:  # the child: report and leave at once, touching no gRPC
    try:
        os.close(read)
        report = {
            "fresh": {name: resource.get() is not before[name] for name, resource in connections.resources().items()},
            "same_store": connections.event_store() is store,
            "inherited_clients": len(store._clients) + (getattr(store._local, "client", None) is not None),
            "publisher_running": projections.nudge._publisher.get().thread.is_alive(),
            "cached_state": recent_states.get().get(key) is not None,
        }
        os.write(write, json.dumps(report).encode())
    finally:
        os._exit(0)
os.close(write)
with os.fdopen(read) as pipe:
    child = json.loads(pipe.read())
os.waitpid(pid, 0)
parent = {
    "kept": all(resource.get() is before[name] for name, resource in connections.resources().items()),
    "cached_state": recent_states.get().get(key) is not None,
    "client": getattr(store._local, "client", None) is not None,
}
print(json.dumps({"child": child, "parent": parent}))
os._exit(0)
"""


def test_a_forked_child_resets_every_registered_resource_and_the_stores_clients():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    done = subprocess.run([sys.executable, "-c", FORK_SCRIPT], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    child, parent = report["child"], report["parent"]

    assert set(child["fresh"]) >= EXPECTED_RESOURCES and all(child["fresh"].values()), child["fresh"]
    assert child["same_store"] and child["inherited_clients"] == 0
    assert child["publisher_running"] and not child["cached_state"]
    assert parent == {"kept": True, "cached_state": True, "client": True}  # the parent keeps what it had
