"""A partition's commit on a real Redis Cluster: its writes, checkpoint and fence share one slot.

The test starts its own three-master cluster (`redis-server --cluster-enabled yes` on free ports,
joined by `redis-cli --cluster create`); it takes about two seconds.
"""
from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import time
from uuid import uuid4

import pytest
from redis.cluster import RedisCluster

from config.devstack import local_services
from eventlog.subscriptions import keys
from eventlog.subscriptions.lock import Lease
from eventlog.subscriptions.partitions import partition_of_stream, partitions_of
from eventlog.subscriptions.runner import run_subscriber

from .conftest import FAST, TickCounter, append_ticks

pytestmark = pytest.mark.skipif(not shutil.which("redis-cli"), reason="redis-cli is needed to form a cluster")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory) -> RedisCluster:
    """A three-master Redis Cluster of our own, and a cluster-aware client of it."""
    ports = [local_services.free_port() for _ in range(3)]
    nodes = []
    try:
        for port in ports:
            directory = tmp_path_factory.mktemp(f"node{port}")
            # The bus port is port + 10000 unless given, which a high free port would push past 65535.
            command = [*local_services.redis_command(port), "--cluster-enabled", "yes", "--dir", str(directory),
                       "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "2000",
                       "--cluster-port", str(local_services.free_port())]
            nodes.append(local_services.start(command, port=port))
        created = subprocess.run(["redis-cli", "--cluster", "create", *(f"127.0.0.1:{port}" for port in ports),
                                  "--cluster-replicas", "0", "--cluster-yes"], capture_output=True, text=True,
                                 timeout=30)
        assert created.returncode == 0, created.stdout + created.stderr
        deadline = time.monotonic() + 10
        while not all(_state(port) == "ok" for port in ports):  # every node agrees on the slots
            assert time.monotonic() < deadline, "the cluster did not settle"
            time.sleep(0.05)
        client = RedisCluster(host="127.0.0.1", port=ports[0])
        yield client
        client.close()
    finally:
        for node in nodes:
            local_services.stop(node)


def _state(port: int) -> str:
    info = subprocess.run(["redis-cli", "-p", str(port), "cluster", "info"], capture_output=True, text=True).stdout
    return next((line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("cluster_state")), "")


def test_partitions_commit_their_writes_and_checkpoint_in_one_slot_each(tick_store, cluster, unique):
    counter = TickCounter(f"cl_{unique}", f"tick{unique}-", batch_size=5)
    counter.spec = dataclasses.replace(counter.spec, partitions=4, partitionable=True)
    streams = [f"tick{unique}-{uuid4()}" for _ in range(12)]
    for stream in streams:
        append_ticks(tick_store, stream, range(3))

    result = run_subscriber(counter, store=tick_store, redis_client=cluster, backoff=FAST)

    assert result.applied == 36 and result.caught_up and not result.lost_lock
    for stream in streams:
        scope = partition_of_stream(counter.spec, stream).scope
        raw = cluster.get(keys.read_model_key(scope, 1, f"stream:{stream}"))
        assert json.loads(raw)["ns"] == [0, 1, 2]
    slots = set()
    for part in partitions_of(counter.spec):
        slot = cluster.keyslot(keys.checkpoint(part.scope, 1))
        assert cluster.get(keys.checkpoint(part.scope, 1)) is not None
        assert {cluster.keyslot(k) for k in (keys.lock(part.scope), keys.fence(part.scope),
                                              keys.dead_letters(part.scope),
                                              keys.read_model_key(part.scope, 1, "totals"))} == {slot}
        slots.add(slot)
    assert len(slots) == 4  # four partitions, four slots: they spread over the masters


def test_a_stale_partition_holder_cannot_commit_on_the_cluster(tick_store, cluster, unique):
    counter = TickCounter(f"cs_{unique}", f"tick{unique}-")
    counter.spec = dataclasses.replace(counter.spec, partitions=2, partitionable=True)
    stream = f"tick{unique}-{uuid4()}"
    append_ticks(tick_store, stream, [1])
    part = partition_of_stream(counter.spec, stream)
    other = Lease(cluster, key=keys.lock(part.scope), fence_key=keys.fence(part.scope))

    def takeover(event):  # the holder's lease runs out mid-batch and another worker takes the partition
        counter.hook = None
        cluster.delete(keys.lock(part.scope))
        assert other.acquire()
    counter.hook = takeover

    try:
        result = run_subscriber(counter, store=tick_store, redis_client=cluster, backoff=FAST,
                                partitions=[part.index])
    finally:
        other.release()

    assert result.lost_lock
    assert cluster.get(keys.read_model_key(part.scope, 1, f"stream:{stream}")) is None  # nothing written
