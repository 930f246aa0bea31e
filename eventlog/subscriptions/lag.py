"""How far behind a subscriber is, in events and in seconds.

Events: the number of events matching the subscriber's filter after its checkpoint, counted by
reading them (the store has no count), so the count stops at a cap and reads "10000+" beyond it.
A position difference would be cheaper but is not a number of events (positions are byte
offsets in EventStoreDB, and include other subscribers' streams), so it is reported only as `head`.
Seconds: the age of the oldest event the subscriber has not applied yet (0 when caught up), which
is what a user waiting for a page to update experiences. Parked events do not count (the
subscriber went past them); the event a halted subscriber stopped on does.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import redis

from eventlog.errors import EventDecodeError
from eventlog.ports import EventStorePort
from eventlog.subscriptions.base import SubscriberSpec
from eventlog.subscriptions.checkpoints import live_generation, read_checkpoint
from eventlog.subscriptions.partitions import Partition, live_partitions

LAG_COUNT_CAP = 10_000
_PAGE = 1_000


@dataclass(frozen=True, slots=True)
class Lag:
    """Events and seconds behind, for one generation of one subscriber."""

    events: int  # matching events after the checkpoint, up to the cap
    capped: bool  # there are at least `events` (more than the cap, or uncountable past a bad event)
    seconds: float  # age of the oldest unapplied matching event; 0.0 when caught up
    checkpoint: int | None
    head: int  # commit position of the newest event in $all

    @property
    def display(self) -> str:
        """"0", "42", "10000+"."""
        return f"{self.events}+" if self.capped else str(self.events)


def measure_lag(spec: SubscriberSpec, *, store: EventStorePort, redis_client: redis.Redis,
                generation: int | None = None, cap: int = LAG_COUNT_CAP, now: datetime | None = None,
                partition: Partition | None = None) -> Lag:
    """Lag of the live generation (or the given one, e.g. a rebuild's), of one partition or of them all.

    A partitioned subscriber's lag is the sum of its partitions' (seconds: the oldest of theirs), and
    its checkpoint the slowest partition's.
    """
    generation = generation or live_generation(redis_client, spec.name)
    if partition is None:
        parts = live_partitions(redis_client, spec)
        if len(parts) > 1:
            lags = [measure_lag(spec, store=store, redis_client=redis_client, generation=generation, cap=cap,
                                now=now, partition=part) for part in parts]
            checkpoints = [lag.checkpoint for lag in lags]
            events = sum(lag.events for lag in lags)
            return Lag(events=min(events, cap), capped=any(lag.capped for lag in lags) or events > cap,
                       seconds=max(lag.seconds for lag in lags),
                       checkpoint=None if None in checkpoints else min(c for c in checkpoints if c is not None),
                       head=max(lag.head for lag in lags))
        partition = parts[0]
    head = store.head_position()
    checkpoint = read_checkpoint(redis_client, partition.scope, generation)
    count, capped, oldest, after = 0, False, None, checkpoint
    try:
        while True:
            want = min(_PAGE, cap + 1 - count)  # one past the cap tells "more than the cap"
            # Undecoded: counting must not fail on an event the registry cannot read (a poison event).
            page = store.read_all(after=after, limit=want, decode=False, stream_prefixes=partition.stream_prefixes,
                                  event_types=partition.event_types)
            if oldest is None and page:
                oldest = page[0].recorded_at
            count += len(page)
            if len(page) < want or count > cap:
                break
            after = page[-1].commit_position
    except EventDecodeError:
        capped = True  # an unreadable envelope: we know "at least this many"
    if count > cap:
        count, capped = cap, True
    seconds = 0.0
    if oldest is not None:
        moment = now or datetime.now(UTC)
        seconds = max(0.0, (moment - oldest).total_seconds())
    return Lag(events=count, capped=capped, seconds=seconds, checkpoint=checkpoint, head=head)
