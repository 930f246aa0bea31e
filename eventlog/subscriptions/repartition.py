"""A subscriber that cannot be rebuilt (a process manager) changes its partition count in place.

It has no read model to fill again, only checkpoints: with every live partition stopped (their
leases held), each new partition starts at the slowest old checkpoint and the partition count
switches, in one transaction fenced by those leases. Events between the slowest and the other old
checkpoints are handed to the handler again, which a process manager tolerates by contract (its
commands' event ids derive from the triggering event, so a repeat is a no-op on the store).
A partition that is halted or holds dead letters waits for a human first.
"""
from __future__ import annotations

import logging
from contextlib import ExitStack
from typing import Any

import redis

from eventlog.subscriptions import keys
from eventlog.subscriptions.base import Subscriber
from eventlog.subscriptions.checkpoints import live_generation, read_checkpoint
from eventlog.subscriptions.commit import commit
from eventlog.subscriptions.errors import LockLostError
from eventlog.subscriptions.lock import Lease
from eventlog.subscriptions.partitions import live_partition_count, partitions_of

log = logging.getLogger(__name__)


def repartition(subscriber: Subscriber, *, redis_client: redis.Redis, lock_ttl: float,
                timeout: float = 1.0) -> bool:
    """Switch a non-rebuildable subscriber to its spec's partition count; False if it cannot now."""
    spec, client = subscriber.spec, redis_client
    name = spec.name
    old_parts = partitions_of(spec, live_partition_count(client, name))
    new_parts = partitions_of(spec)
    if len(old_parts) == len(new_parts):
        return True
    with ExitStack() as stack:
        leases = [Lease(client, key=keys.lock(part.scope), fence_key=keys.fence(part.scope), ttl=lock_ttl)
                  for part in old_parts]
        for lease in leases:
            if not lease.acquire_waiting(timeout=timeout):
                return False
            stack.callback(lease.release)
        if any(client.hget(keys.status(part.scope), "halted_on") or client.hlen(keys.dead_letters(part.scope))
               for part in old_parts):
            log.warning("%s keeps %d partition(s) until its halted partition or dead letters are dealt with",
                        name, len(old_parts))
            return False
        generation = live_generation(client, name)
        checkpoints = [read_checkpoint(client, part.scope, generation) for part in old_parts]
        start = None if None in checkpoints else min(c for c in checkpoints if c is not None)

        def switch(pipe: Any) -> None:
            for part in new_parts:
                if start is None:
                    pipe.delete(keys.checkpoint(part.scope, generation))
                else:
                    pipe.set(keys.checkpoint(part.scope, generation), start)
            for part in old_parts:
                pipe.delete(keys.checkpoint(part.scope, generation))
            pipe.set(keys.partition_count(name), len(new_parts))

        first = old_parts[0].scope
        try:
            commit(client, leases=leases, name=first, generation=generation, expected=checkpoints[0],
                   new=checkpoints[0], extra=switch, watch=[keys.partition_count(name)], publish=False)
        except LockLostError:
            return False
    log.info("%s now runs in %d partition(s), from position %s", name, len(new_parts), start)
    return True
