"""The verdict every scenario ends with: nothing acknowledged was lost, nothing was applied twice.

- `assert_ledger`: each acknowledged (2xx) order is in the event store with exactly one
  OrderCreated, carrying the event id the API answered with; at most one decision; no event id
  appears twice anywhere in $all; no order reserved the same sku twice.
- `settle`: every subscriber (read models and fulfillment) caught up with a head that stopped moving.
- `assert_read_models_equal_fresh_rebuild`: the live read models equal a rebuild from position 0
  made into a scratch Redis database (the live system is left untouched).
"""
from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any
from uuid import UUID

import redis

from eventlog import pii
from eventlog.envelope import RecordedEvent
from eventlog.errors import StreamNotFoundError
from eventlog.store import EventStore
from eventlog.subscriptions import keys
from eventlog.subscriptions.checkpoints import live_generation
from eventlog.subscriptions.consistency import wait_for_position
from eventlog.subscriptions.partitions import live_scopes
from eventlog.subscriptions.runner import run_subscriber
from eventlog.subscriptions.subscribers import all_subscribers
from orders.domain.events import OrderConfirmed, OrderCreated, OrderRejected, StockReleased, StockReserved
from projections.subscribers import READ_MODELS
from tests.faults.keys import stack_keyring
from tests.faults.stack import Stack

DECISIONS = (OrderConfirmed, OrderRejected)


def subscriber_names() -> list[str]:
    """Every subscriber the worker runs: the read models and the fulfillment process manager."""
    return [candidate.spec.name for candidate in all_subscribers()]


def settle(stack: Stack, *, timeout: float = 60.0) -> int:
    """Wait until every subscriber has passed a head that no longer moves; returns that head."""
    store, client = stack.store, stack.redis
    names = subscriber_names()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        head = store.head_position()
        if head == 0:  # an empty store: nothing to apply, and no checkpoint is ever written for it
            return head
        if wait_for_position(client, names, head, timeout=min(5.0, max(0.1, deadline - time.monotonic()))) \
                and store.head_position() == head:
            return head
    raise AssertionError(f"the subscribers did not settle within {timeout}s at head {store.head_position()}:\n"
                         f"{describe_subscribers(stack)}\n{stack.logs('worker', 'beat', chars=2000)}")


def describe_subscribers(stack: Stack) -> str:
    """Checkpoint, lock holder and status of every subscriber (for failure messages)."""
    client, lines = stack.redis, []
    for name in subscriber_names():
        generation = live_generation(client, name)
        for scope in live_scopes(client, [name])[name]:
            lines.append(f"{scope}: g{generation} checkpoint={client.get(keys.checkpoint(scope, generation))} "
                         f"lock={client.get(keys.lock(scope))} ttl={client.pttl(keys.lock(scope))} "
                         f"status={client.hgetall(keys.status(scope))}")
    return "\n".join(lines)


def all_events(store: EventStore) -> list[RecordedEvent]:
    """Every event of $all, undecoded (so a poison event does not stop the check)."""
    return list(store.iter_all(decode=False))


def order_events(store: EventStore, order_id: UUID | str) -> list[RecordedEvent]:
    """One order's stream, decoded; empty if it has none."""
    try:
        return store.read_stream(f"order-{order_id}")
    except StreamNotFoundError:
        return []


def assert_ledger(stack: Stack, acknowledged: Mapping[str, Mapping[str, Any]], *,
                  decided: bool = True) -> dict[str, list[RecordedEvent]]:
    """Check the event store against every acknowledged order creation (order id -> 201 body).

    With `decided`, every acknowledged order must also have exactly one decision (none left PENDING).
    Returns each acknowledged order's events.
    """
    store = stack.store
    everything = all_events(store)
    duplicates = [event_id for event_id, n in Counter(e.event_id for e in everything).items() if n > 1]
    assert not duplicates, f"event ids stored twice: {duplicates[:5]}"
    streams: dict[str, list[RecordedEvent]] = {}
    for order_id, body in acknowledged.items():
        events = order_events(store, order_id)
        assert events, f"acknowledged order {order_id} is not in the event store (lost)"
        kinds = Counter(type(e.data) for e in events)
        assert kinds[OrderCreated] == 1, f"order {order_id}: {kinds[OrderCreated]} OrderCreated"
        answered = {event["event_id"] for event in body["events"]}
        assert answered <= {str(e.event_id) for e in events}, f"order {order_id}: the acknowledged event ids differ"
        decisions = sum(kinds[kind] for kind in DECISIONS)
        assert decisions <= 1, f"order {order_id} decided {decisions} times: {kinds}"
        if decided:
            assert decisions == 1, f"order {order_id} was left PENDING: {[e.event_type for e in events]}"
        streams[order_id] = events
    assert_no_double_reservation(store, (e for e in everything if e.stream_name.startswith("inventory-")))
    return streams


def assert_no_double_reservation(store: EventStore, inventory_events: Iterable[RecordedEvent]) -> None:
    """No order holds a reservation of the same sku twice, and none is released more than reserved."""
    held: Counter[tuple[str, str]] = Counter()
    for raw in sorted(inventory_events, key=lambda e: e.commit_position):
        if raw.event_type not in (StockReserved.__name__, StockReleased.__name__):
            continue
        data = raw.data if isinstance(raw.data, dict) else {}
        key = (str(data.get("sku")), str(data.get("order_id")))
        held[key] += 1 if raw.event_type == StockReserved.__name__ else -1
        assert 0 <= held[key] <= 1, f"{raw.event_type} makes {key} held {held[key]} times"


# -- read models ----------------------------------------------------------------------------------


def dump(client: redis.Redis, name: str, generation: int) -> dict[str, Any]:
    """Every key of one read-model generation, by relative key, with comparable values.

    A partitioned read model is dumped partition by partition and merged: an index each partition
    keeps for its own streams reads as the one index a single partition would have built.
    """
    contents: dict[str, Any] = {}
    for scope in live_scopes(client, [name])[name]:
        for key, value in _dump_scope(client, scope, generation).items():
            if key in contents:
                assert isinstance(value, list) and isinstance(contents[key], list), f"{name}: {key} in two partitions"
                value = sorted(contents[key] + value, key=lambda item: (item[1], item[0]) if isinstance(item, tuple)
                               else item)
            contents[key] = value
    return contents


def _dump_scope(client: redis.Redis, scope: str, generation: int) -> dict[str, Any]:
    prefix = keys.read_model_key(scope, generation, "")
    contents: dict[str, Any] = {}
    for raw_key in client.scan_iter(match=keys.generation_pattern(scope, generation), count=1000):
        key = raw_key.decode()
        kind = client.type(raw_key).decode()
        if kind == "string":
            raw = client.get(raw_key)
            try:
                value: Any = json.loads(raw)
            except ValueError:
                value = raw
        elif kind == "hash":
            value = {k.decode(): v.decode() for k, v in client.hgetall(raw_key).items()}
        elif kind == "zset":
            value = [(m.decode(), s) for m, s in client.zrange(raw_key, 0, -1, withscores=True)]
        elif kind == "set":
            value = sorted(m.decode() for m in client.smembers(raw_key))
        else:
            value = kind
        contents[key.removeprefix(prefix)] = value
    return contents


def fresh_rebuild(stack: Stack, name: str) -> dict[str, Any]:
    """A read model built from position 0 by today's code, in a scratch database of the stack's Redis."""
    projection = next(model for model in READ_MODELS if model.spec.name == name)
    scratch = stack.scratch_redis()
    try:
        with pii.use_keyring(stack_keyring(stack.db_path)):
            for _ in range(100):
                result = run_subscriber(projection, store=stack.store, redis_client=scratch)
                if result.caught_up:
                    break
            else:
                raise AssertionError(f"the fresh rebuild of {name} did not catch up")
        return dump(scratch, name, 1)
    finally:
        scratch.flushdb()
        scratch.close()


def assert_read_models_equal_fresh_rebuild(stack: Stack, names: Iterable[str] | None = None) -> None:
    """Each live read model (its live generation) equals a rebuild from scratch; call after `settle`."""
    for name in names or [model.spec.name for model in READ_MODELS]:
        live = dump(stack.redis, name, live_generation(stack.redis, name))
        fresh = fresh_rebuild(stack, name)
        if live != fresh:
            missing = sorted(set(fresh) - set(live))[:5]
            extra = sorted(set(live) - set(fresh))[:5]
            differ = sorted(k for k in set(live) & set(fresh) if live[k] != fresh[k])[:5]
            detail = {k: {"live": live[k], "fresh": fresh[k]} for k in differ[:2]}
            raise AssertionError(f"read model {name!r} differs from a fresh rebuild: missing {missing}, "
                                 f"extra {extra}, different {differ}: {detail}")
