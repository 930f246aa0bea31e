"""The one atomic step of the read side: a batch's writes and the new checkpoint, fenced by the lock.

WATCH the lock key(s) and the checkpoint, check that the lock still holds our value and that the
checkpoint is where we left it, then MULTI, queue everything, EXEC. If anyone took the lock or
moved the checkpoint in between, EXEC fails and nothing is written: a paused or slow worker that
lost its lease cannot write, and an event is never applied twice.

On Redis Cluster the same steps run as one single-slot transaction: a partition's keys share a
hash tag (partitions.py), so its watched keys, writes and checkpoint live in one slot; the
progress announcement is published right after EXEC (waiters re-read the checkpoint anyway).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import ExitStack
from typing import Any

import redis
from redis.cluster import ClusterPipeline, RedisCluster

from eventlog.subscriptions import keys
from eventlog.subscriptions.errors import LockLostError
from eventlog.subscriptions.lock import Lease, text
from eventlog.subscriptions.writer import BatchWriter

Extra = Callable[[Any], None]  # queues more commands into the MULTI pipeline
Check = Callable[[Any], None]  # runs after WATCH with the pipeline in immediate mode; raises to abort

_WATCH_RETRIES = 5


def commit(client: redis.Redis, *, leases: Sequence[Lease], name: str, generation: int,
           expected: int | None, new: int | None, writer: BatchWriter | None = None,
           extra: Extra | None = None, watch: Sequence[str] = (), check: Check | None = None,
           publish: bool = True) -> None:
    """Commit writes + checkpoint `new` if every lease is still ours and the checkpoint is `expected`.

    Raises LockLostError (and marks the lease lost) when it is not; nothing is written then.
    """
    checkpoint_key = keys.checkpoint(name, generation)
    clustered = isinstance(client, RedisCluster)
    with ExitStack() as stack:
        for lease in leases:  # keep our own heartbeats from touching watched keys meanwhile
            stack.enter_context(lease.mutex)
        with client.pipeline(transaction=True) as pipe:
            for _ in range(_WATCH_RETRIES):
                try:
                    pipe.watch(checkpoint_key, *(lease.key for lease in leases), *watch)
                    _check_fence(pipe, leases, checkpoint_key, expected)
                    if check is not None:
                        check(pipe)
                    pipe.multi()
                    if writer is not None:
                        writer.queue_into(pipe)
                    if new is not None and new != expected:
                        pipe.set(checkpoint_key, new)
                    for lease in leases:  # a commit is proof of life: it renews the lease too
                        pipe.pexpire(lease.key, lease.ttl_ms)
                    if extra is not None:
                        extra(pipe)
                    announce = publish and new is not None
                    if announce and not clustered:
                        pipe.publish(keys.PROGRESS_CHANNEL, f"{name} {generation} {new}")
                    pipe.execute()
                    if announce and clustered:  # a cluster transaction holds one slot's keys, no PUBLISH
                        client.publish(keys.PROGRESS_CHANNEL, f"{name} {generation} {new}")
                    return
                except redis.WatchError:
                    continue  # something touched a watched key: look again, the check decides
            raise LockLostError(f"{name}: watched keys kept changing; giving up this commit")


def _check_fence(pipe: Any, leases: Sequence[Lease], checkpoint_key: str, expected: int | None) -> None:
    watched = [checkpoint_key, *(lease.key for lease in leases)]
    # A cluster pipeline under WATCH allows single-key reads only (the keys share a slot anyway).
    values = [pipe.get(key) for key in watched] if isinstance(pipe, ClusterPipeline) else pipe.mget(*watched)
    for lease, value in zip(leases, values[1:], strict=True):
        if lease.value is None or text(value) != lease.value:
            lease.lost.set()
            raise LockLostError(f"lock {lease.key} is no longer ours (now {text(value)!r}, ours {lease.value!r})")
    current = text(values[0])
    if (None if current is None else int(current)) != expected:
        for lease in leases:
            lease.lost.set()
        raise LockLostError(f"{checkpoint_key} moved to {current} behind our back (expected {expected})")
