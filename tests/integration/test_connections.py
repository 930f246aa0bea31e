"""The one wiring place: the same clients per thread, and a forked child makes its own of everything."""
from __future__ import annotations

import json
import os
import threading
from uuid import uuid4

import pytest

import config.devstack.health  # noqa: F401 - each module registers its per-process resources on import
import orders.fulfillment  # noqa: F401
import projections.nudge
from eventlog import connections
from orders.domain.aggregate import Snapshot
from orders.repository import recent_states

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


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # "fork() may lead to deadlocks" with threads alive
def test_a_forked_child_resets_every_registered_resource_and_the_stores_clients():
    store = connections.event_store()
    store.head_position()  # this thread now has a gRPC client
    before = {name: resource.get() for name, resource in connections.resources().items()}
    projections.nudge._publisher.get()  # the publisher's thread runs in the parent
    key = ("test-store", f"order-{uuid4()}")
    recent_states.get().put(key, Snapshot(version=3, state={}))
    read, write = os.pipe()

    pid = os.fork()
    if pid == 0:  # the child: report and leave at once, touching no gRPC
        try:
            os.close(read)
            report = {
                "fresh": {name: resource.get() is not before[name]
                          for name, resource in connections.resources().items()},
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
        report = json.loads(pipe.read())
    os.waitpid(pid, 0)

    assert set(report["fresh"]) >= EXPECTED_RESOURCES and all(report["fresh"].values()), report["fresh"]
    assert report["same_store"] and report["inherited_clients"] == 0
    assert report["publisher_running"] and not report["cached_state"]
    # The parent keeps what it had.
    assert all(resource.get() is before[name] for name, resource in connections.resources().items())
    assert recent_states.get().get(key) is not None and getattr(store._local, "client", None) is not None
