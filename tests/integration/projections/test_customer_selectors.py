"""The customer order page's read: summary and customer timeline in one Redis round trip, any live generation."""
from __future__ import annotations

import pytest
import redis

from eventlog.subscriptions import keys
from projections import selectors
from tests.factories import project_everything
from tests.integration.projections.conftest import place, receive

pytestmark = pytest.mark.django_db


class _CountingRedis(redis.Redis):
    """A client that counts round trips (single commands and executed pipelines)."""

    round_trips = 0

    def execute_command(self, *args, **options):
        type(self).round_trips += 1
        return super().execute_command(*args, **options)

    def pipeline(self, transaction=True, shard_hint=None):
        pipe = super().pipeline(transaction=transaction, shard_hint=shard_hint)
        execute = pipe.execute

        def counted(*args, **kwargs):
            type(self).round_trips += 1
            return execute(*args, **kwargs)

        pipe.execute = counted
        return pipe


@pytest.fixture
def counting(redis_client) -> _CountingRedis:
    client = _CountingRedis(connection_pool=redis_client.connection_pool)
    _CountingRedis.round_trips = 0
    return client


def test_the_order_and_its_customer_timeline_come_in_one_round_trip(redis_client, counting, skus):
    receive(skus[0], 5)
    order_id = place("501", (skus[0], 2))
    project_everything()

    selectors.get_customer_order(order_id, client=counting)  # learns the live generations
    _CountingRedis.round_trips = 0
    summary, steps = selectors.get_customer_order(order_id, client=counting)

    assert _CountingRedis.round_trips == 1
    assert summary == selectors.get_order(order_id, client=redis_client)
    assert steps == selectors.get_customer_timeline(order_id, client=redis_client)
    assert steps is not None and steps.customer_id == "501" and summary is not None
    assert summary.version == steps.timeline.last_version == 1  # created, confirmed


def test_a_switched_generation_is_followed(redis_client, counting, skus):
    receive(skus[0], 5)
    order_id = place("502", (skus[0], 1))
    project_everything()
    before = selectors.get_customer_order(order_id, client=counting)
    for name in ("orders", "customer_timeline"):  # what a blue/green switch leaves: the same data in generation 2
        for key in redis_client.scan_iter(keys.generation_pattern(name, 1)):
            redis_client.rename(key, key.decode().replace(f"rm:{name}:g1:", f"rm:{name}:g2:"))
        redis_client.set(keys.generation_pointer(name), 2)

    assert selectors.get_customer_order(order_id, client=counting) == before
    assert selectors.get_customer_order("not-an-id", client=counting) == (None, None)
