"""Helpers for projection tests: real events from dispatch, a batch applied like the runner does."""
from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterable, Sequence
from decimal import Decimal
from uuid import UUID

import pytest
import redis

from eventlog.envelope import RecordedEvent
from eventlog.errors import StreamNotFoundError
from eventlog.store import EventStore
from eventlog.subscriptions import keys
from eventlog.subscriptions.base import Subscriber
from eventlog.subscriptions.keys import generation_pattern
from eventlog.subscriptions.partitions import partitions_of
from eventlog.subscriptions.writer import BatchWriter
from orders.domain.commands import ReceiveStock
from orders.domain.values import Actor
from orders.handlers import dispatch
from orders.models import Product
from tests.factories import place as place  # the one order factory, re-exported for these tests

STAFF = Actor.staff("1")


@pytest.fixture
def skus(unique: str) -> tuple[str, str, str]:
    """Three catalogue products (12.50, 19.90 and 3.05 EUR) with run-unique skus."""
    prices = {"MUG": "12.50", "TEE": "19.90", "PEN": "3.05"}
    made = []
    for stem, price in prices.items():
        sku = f"{stem}-{unique}".upper()
        Product.objects.create(sku=sku, name=stem.title(), unit_price=Decimal(price))
        made.append(sku)
    return made[0], made[1], made[2]


def receive(sku: str, quantity: int) -> None:
    """Put units of a sku on the shelf."""
    dispatch(ReceiveStock(sku=sku, quantity=quantity), actor=STAFF)




def events_of(store: EventStore, *streams: str) -> list[RecordedEvent]:
    """Every event of the given streams, in $all order (as a subscription would deliver them)."""
    events: list[RecordedEvent] = []
    for stream in streams:
        with contextlib.suppress(StreamNotFoundError):
            events.extend(store.read_stream(stream))
    return sorted(events, key=lambda event: event.commit_position)


def order_streams(*order_ids: UUID) -> list[str]:
    """The stream names of orders."""
    return [f"order-{order_id}" for order_id in order_ids]


def inventory_streams(*skus: str) -> list[str]:
    """The stream names of skus' stock."""
    return [f"inventory-{sku}" for sku in skus]


def project(client: redis.Redis, subscriber: Subscriber, events: Iterable[RecordedEvent], *,
            generation: int = 1, batch_size: int | None = None) -> None:
    """Apply events the way the runner does: a BatchWriter per batch, committed in one MULTI/EXEC."""
    batch: list[RecordedEvent] = []
    for event in events:
        batch.append(event)
        if batch_size is not None and len(batch) >= batch_size:
            _commit(client, subscriber, batch, generation)
            batch = []
    _commit(client, subscriber, batch, generation)


def _commit(client: redis.Redis, subscriber: Subscriber, batch: Sequence[RecordedEvent], generation: int) -> None:
    writer = BatchWriter(client, name=subscriber.spec.name, generation=generation)
    for event in batch:
        subscriber.handle(event, writer)
    pipe = client.pipeline(transaction=True)
    writer.queue_into(pipe)
    pipe.execute()


def dump(client: redis.Redis, name: str, generation: int = 1) -> dict[str, object]:
    """Every key of one read-model generation with its contents, comparable across runs."""
    contents: dict[str, object] = {}
    for key in client.scan_iter(match=generation_pattern(name, generation), count=1000):
        kind = client.type(key).decode()
        if kind == "string":
            value: object = client.get(key)
        elif kind == "hash":
            value = dict(sorted(client.hgetall(key).items()))
        elif kind == "zset":
            value = client.zrange(key, 0, -1, withscores=True)
        elif kind == "set":
            value = sorted(client.smembers(key))
        else:
            raise AssertionError(f"unexpected {kind} at {key!r}")
        contents[key.decode()] = value
    return dict(sorted(contents.items()))


def run_process_manager(manager: Subscriber, store: EventStore, *order_ids: UUID, after: int = -1) -> int:
    """Feed the manager every event of the orders after `after`, including the ones it causes; returns the
    last commit position handled (like the runner catching up, single-flight)."""
    while True:
        fresh = [event for event in events_of(store, *order_streams(*order_ids)) if event.commit_position > after]
        if not fresh:
            return after
        for event in fresh:
            manager.handle(event, None)
            after = event.commit_position


def in_partitions(subscriber, count, client, head):
    """The subscriber split in `count`, every partition starting at the head (the store is shared)."""
    subscriber.spec = dataclasses.replace(subscriber.spec, partitions=count)
    client.set(keys.partition_count(subscriber.spec.name), count)
    for part in partitions_of(subscriber.spec):
        client.set(keys.checkpoint(part.scope, 1), head)
    return subscriber
