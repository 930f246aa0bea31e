"""Partitions: a subscriber split by stream, so several workers can run it side by side.

Partition i of P owns the streams whose aggregate id (the part after the stream prefix, a UUID as
`str(uuid)` writes it) starts with one of its hex digits: P divides 16, and partition i owns the
digits i*16/P .. (i+1)*16/P - 1. Its filter is a list of stream-name prefixes ("order-0",
"order-1", ...), so the event store filters on the server and each partition reads only its own
events. Events of one stream always land in one partition, in order. A subscriber's
`broadcast_prefixes` (streams that own no keys, such as `customer-`) are in every partition's
filter, so every partition sees those events, each in its place among its own.

Each partition has its own key scope: with P = 1 it is the subscriber's name (every key as before
partitions existed); with P > 1 it is a Redis Cluster hash tag, `{<name>.p<i>of<P>}`, so the
partition's read-model keys, checkpoint, lock, fence and dead letters all hash to one slot and its
commit (writes + checkpoint, fenced) is one single-slot transaction. P is part of the scope, so a
rebuild with another P fills keys that cannot collide with the serving ones.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import redis

from eventlog.subscriptions import keys
from eventlog.subscriptions.base import SubscriberSpec
from eventlog.subscriptions.lock import text

HEX_DIGITS = "0123456789abcdef"
ALLOWED_COUNTS = (1, 2, 4, 8, 16)


@dataclass(frozen=True, slots=True)
class Partition:
    """Partition `index` of `count` of one subscriber."""

    subscriber: str
    index: int
    count: int
    stream_prefixes: tuple[str, ...]  # the server-side filter of this partition (with the broadcast prefixes)
    event_types: tuple[str, ...] = ()  # (an unpartitioned subscriber may filter by event type instead)

    @property
    def scope(self) -> str:
        """The name its Redis keys are built from (the subscriber's own name when unpartitioned)."""
        return scope_name(self.subscriber, self.index, self.count)

    @property
    def label(self) -> str:
        """How people and metrics see it: "orders" or "orders[2/4]"."""
        return self.subscriber if self.count == 1 else f"{self.subscriber}[{self.index}/{self.count}]"


def scope_name(subscriber: str, index: int, count: int) -> str:
    """The key scope of a partition: a hash tag when there is more than one."""
    return subscriber if count == 1 else f"{{{subscriber}.p{index}of{count}}}"


def subscriber_of(scope: str) -> str:
    """The subscriber a key scope belongs to (the scope itself when unpartitioned)."""
    if scope.startswith("{") and scope.endswith("}") and ".p" in scope:
        return scope[1:].rpartition(".p")[0]
    return scope


def check_count(spec: SubscriberSpec, count: int) -> None:
    """Raise ValueError unless `spec` may run in `count` partitions."""
    if count not in ALLOWED_COUNTS:
        raise ValueError(f"{spec.name}: partitions must be one of {ALLOWED_COUNTS}, not {count}")
    if count > 1 and not spec.partitionable:
        raise ValueError(f"{spec.name} reads across streams into shared keys; it cannot be partitioned")
    if count > 1 and not spec.stream_prefixes:
        raise ValueError(f"{spec.name}: only a subscriber filtered by stream prefix can be partitioned")


def partitions_of(spec: SubscriberSpec, count: int | None = None) -> tuple[Partition, ...]:
    """The partitions of a subscriber: `count` of them (default: its spec's)."""
    count = spec.partitions if count is None else count
    check_count(spec, count)
    if count == 1:
        return (Partition(spec.name, 0, 1, spec.filter_prefixes, spec.event_types),)
    width = len(HEX_DIGITS) // count
    found = []
    for index in range(count):
        digits = HEX_DIGITS[index * width:(index + 1) * width]
        cased = dict.fromkeys(d for digit in digits for d in (digit, digit.upper()))
        prefixes = tuple(prefix + digit for prefix in spec.stream_prefixes for digit in cased)
        found.append(Partition(spec.name, index, count, prefixes + spec.broadcast_prefixes))
    return tuple(found)


def partition_of_stream(spec: SubscriberSpec, stream_name: str, count: int | None = None) -> Partition:
    """The partition that owns a stream (ValueError if none does, as for a broadcast stream: all read it)."""
    for partition in partitions_of(spec, count):
        owned = tuple(prefix for prefix in partition.stream_prefixes if prefix not in spec.broadcast_prefixes)
        if stream_name.startswith(owned):
            return partition
    raise ValueError(f"{spec.name}: stream {stream_name!r} belongs to no partition")


def partition_index(aggregate_id: object, count: int) -> int:
    """Which of `count` partitions owns an aggregate id (for readers computing a key's scope)."""
    if count == 1:
        return 0
    first = str(aggregate_id)[:1].lower()
    digit = HEX_DIGITS.find(first)
    if digit < 0:
        raise ValueError(f"aggregate id {aggregate_id!r} does not start with a hex digit")
    return digit // (len(HEX_DIGITS) // count)


def live_partition_count(client: redis.Redis, name: str) -> int:
    """How many partitions the serving generation was built with (absent: 1)."""
    value = text(client.get(keys.partition_count(name)))
    return int(value) if value else 1


def adopt_partition_count(client: redis.Redis, spec: SubscriberSpec) -> None:
    """A subscriber that has applied nothing yet takes its spec's partition count (no rebuild needed).

    One that has (a checkpoint, or a rebuild under way) keeps its count until a rebuild switches it.
    """
    name = spec.name
    if spec.partitions == 1 or client.exists(keys.partition_count(name)):
        return
    generation = int(text(client.get(keys.generation_pointer(name))) or 1)
    if client.exists(keys.checkpoint(name, generation)) or client.exists(keys.rebuild_state(name)):
        return  # (two calls: on Redis Cluster the keys may be in two slots)
    client.set(keys.partition_count(name), spec.partitions, nx=True)


def live_partitions(client: redis.Redis, spec: SubscriberSpec) -> tuple[Partition, ...]:
    """The partitions of the serving generation (their count may differ from the spec's until a rebuild)."""
    return partitions_of(spec, live_partition_count(client, spec.name))


def scopes(name: str, count: int) -> list[str]:
    """Every key scope of a subscriber run in `count` partitions."""
    return [scope_name(name, index, count) for index in range(count)]


def live_scopes(client: redis.Redis, names: Sequence[str]) -> dict[str, list[str]]:
    """The key scopes of each named subscriber's serving generation, in one round trip."""
    counts = client.mget([keys.partition_count(name) for name in names]) if names else []
    return {name: scopes(name, int(text(value)) if value else 1) for name, value in zip(names, counts, strict=True)}
