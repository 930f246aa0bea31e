"""Read-model versions: which version the serving generation was built with, and which are outdated.

A read model declares its version in its spec (`SubscriberSpec.version`). A blue/green rebuild
records the version it was built with beside the generation pointer when it switches (rebuild.py);
a generation built before versions existed counts as version 1. When the code's version differs
from the serving generation's, the read model is outdated: `rebuild_outdated` fills a new
generation with the new code while the old one keeps serving, then switches.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable

import redis

from eventlog.ports import EventStorePort
from eventlog.subscriptions import keys
from eventlog.subscriptions.base import Subscriber
from eventlog.subscriptions.checkpoints import live_generation, read_checkpoint
from eventlog.subscriptions.lock import text
from eventlog.subscriptions.partitions import live_partition_count, scopes
from eventlog.subscriptions.rebuild import Cleanup, RebuildProgress, RebuildResult, rebuild

BEFORE_VERSIONS = 1  # what a generation built before versions were recorded was built with


def built_version(redis_client: redis.Redis, name: str) -> int:
    """The read-model version the serving generation was built with."""
    value = text(redis_client.get(keys.built_version(name)))
    return int(value) if value else BEFORE_VERSIONS


def outdated(subscribers: Iterable[Subscriber], *, redis_client: redis.Redis) -> list[Subscriber]:
    """The rebuildable subscribers whose serving generation another version (or partition count) built.

    A read model that has applied nothing yet (no checkpoint, no rebuild under way) is not outdated:
    the code at hand builds it, so its version is recorded instead.
    """
    found = []
    for candidate in subscribers:
        spec = candidate.spec
        count = live_partition_count(redis_client, spec.name)
        if not spec.rebuildable or (built_version(redis_client, spec.name) == spec.version
                                    and count == spec.partitions):
            continue
        generation = live_generation(redis_client, spec.name)
        unbuilt = (all(read_checkpoint(redis_client, scope, generation) is None for scope in scopes(spec.name, count))
                   and not redis_client.exists(keys.rebuild_state(spec.name)))
        if unbuilt:
            redis_client.set(keys.built_version(spec.name), spec.version)
            redis_client.set(keys.partition_count(spec.name), spec.partitions)
            continue
        found.append(candidate)
    return found


def rebuild_outdated(subscribers: Iterable[Subscriber], *, store: EventStorePort, redis_client: redis.Redis,
                     progress: Callable[[Subscriber, RebuildProgress], None] | None = None,
                     cleanup: Cleanup = "inline") -> list[RebuildResult]:
    """Rebuild every outdated read model blue/green (or continue its rebuild); one result per read model."""
    results = []
    for candidate in outdated(subscribers, redis_client=redis_client):
        report = None if progress is None else (lambda p, c=candidate: progress(c, p))
        results.append(rebuild(candidate, store=store, redis_client=redis_client, progress=report, cleanup=cleanup))
    return results
