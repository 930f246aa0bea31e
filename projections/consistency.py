"""Read-your-writes for pages and API: wait (bounded) for the read models, and say how fresh they are."""
from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from eventlog import connections
from eventlog.errors import EventStoreUnavailableError
from eventlog.subscriptions import keys
from eventlog.subscriptions.checkpoints import at_or_past, live_checkpoints
from eventlog.subscriptions.consistency import wait_for_position
from eventlog.subscriptions.lock import text
from eventlog.subscriptions.partitions import scopes
from projections import head as published
from projections.subscribers import READ_MODELS

READ_MODEL_NAMES: tuple[str, ...] = tuple(model.spec.name for model in READ_MODELS)
DEFAULT_WAIT_SECONDS = 1.0


def wait_for_read_models(position: int, *, names: Sequence[str] = READ_MODEL_NAMES,
                         timeout: float = DEFAULT_WAIT_SECONDS) -> bool:
    """True once the named read models have applied everything up to `position` (False after `timeout`)."""
    if position <= 0:
        return True
    return wait_for_position(connections.redis(), names, position, timeout=timeout)


@dataclass(frozen=True, slots=True)
class Reach:
    """Whether the read models reached a position; `head` is set when the position is past the store's head."""

    reached: bool
    head: int | None = None


def reach_position(position: int, *, names: Sequence[str] = READ_MODEL_NAMES,
                   timeout: float = DEFAULT_WAIT_SECONDS) -> Reach:
    """Like `wait_for_read_models`, but a position no event has reached yet is answered at once.

    A client names the position, so it may name one beyond the store's head (or the store may be
    down, so nothing can move): waiting would only hold a worker for nothing. A position the writers
    have published (projections/head.py) is known to exist; only one past the newest published
    position (a client racing the publication, or asking for the future) costs a look at the store.
    """
    if position <= 0:
        return Reach(True)
    redis_client = connections.redis()
    checkpoints = live_checkpoints(redis_client, list(dict.fromkeys(names)))
    if all(at_or_past(checkpoint, position) for _, checkpoint in checkpoints.values()):
        return Reach(True)
    newest = redis_client.zrevrange(published.APPENDS_KEY, 0, 0, withscores=True)
    if newest and position <= int(newest[0][1]):
        return Reach(wait_for_position(redis_client, names, position, timeout=timeout))
    try:
        head = connections.event_store().head_position()
    except EventStoreUnavailableError:
        return Reach(False)  # no event can be appended or projected until it is back
    if position > head:
        return Reach(False, head=head)
    return Reach(wait_for_position(redis_client, names, position, timeout=timeout))


@dataclass(frozen=True, slots=True)
class Freshness:
    """How far a read model is behind the event store."""

    events_behind: int
    seconds_behind: float
    started: bool = True  # False: it has applied nothing yet (new, or its Redis was emptied), so it knows nothing

    @property
    def is_behind(self) -> bool:
        """Whether a page should say its data may be out of date."""
        return self.events_behind > 0


# The live layout (generation, partition count) of each read model as this process last saw it (see
# published_freshness).
_seen_layouts: dict[str, tuple[int, int]] = {}


def published_freshness(name: str) -> Freshness:
    """The lag of one read model from Redis alone: its checkpoint against the appends writers published.

    One round trip when the read model is current (the common case), two when it is behind. Events
    behind counts published appends (commands) after the checkpoint, up to `projections.head.KEEP`.
    A partitioned read model is as fresh as its slowest partition.
    """
    client = connections.redis()
    generation, count = _seen_layouts.get(name, (1, 1))
    for _ in range(3):
        pipe = client.pipeline(transaction=True)
        pipe.mget(keys.generation_pointer(name), keys.partition_count(name))
        pipe.mget([keys.checkpoint(scope, generation) for scope in scopes(name, count)])
        pipe.zrevrange(published.APPENDS_KEY, 0, 0, withscores=True)
        (pointer, raw_count), raw_checkpoints, newest = pipe.execute()
        live = (int(text(pointer) or 1), int(text(raw_count) or 1))
        if live == (generation, count):
            break
        _seen_layouts[name] = (generation, count) = live
    checkpoint = None if None in raw_checkpoints else min(int(text(raw) or 0) for raw in raw_checkpoints)
    if not newest or at_or_past(checkpoint, int(newest[0][1])):
        return Freshness(events_behind=0, seconds_behind=0.0, started=checkpoint is not None)
    after = "-inf" if checkpoint is None else f"({checkpoint}"
    pipe = client.pipeline(transaction=True)
    pipe.zcount(published.APPENDS_KEY, after, "+inf")
    pipe.zrangebyscore(published.APPENDS_KEY, after, "+inf", start=0, num=1, withscores=True)
    behind, oldest = pipe.execute()
    seconds = 0.0
    if oldest:
        seconds = max(0.0, time.time() - published.parse(*oldest[0]).at)
    return Freshness(events_behind=int(behind), seconds_behind=seconds, started=checkpoint is not None)


def wait_for_published(name: str, *, timeout: float = DEFAULT_WAIT_SECONDS) -> bool:
    """True once read model `name` has applied every append the writers have published (False after `timeout`)."""
    client = connections.redis()
    newest = client.zrevrange(published.APPENDS_KEY, 0, 0, withscores=True)
    return not newest or wait_for_position(client, [name], int(newest[0][1]), timeout=timeout)
