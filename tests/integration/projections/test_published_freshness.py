"""Freshness from Redis alone: read-model checkpoints against the appends the writers publish."""
from __future__ import annotations

import time

import pytest

from eventlog import connections
from eventlog.subscriptions import keys
from projections import head
from projections.consistency import published_freshness, reach_position
from tests.factories import project_everything


def _set_checkpoint(redis_client, name: str, position: int | None, *, generation: int = 1) -> None:
    if position is None:
        redis_client.delete(keys.checkpoint(name, generation))
    else:
        redis_client.set(keys.checkpoint(name, generation), position)


def test_a_read_model_past_the_newest_append_is_current(redis_client):
    head.publish([(100, time.time()), (140, time.time())], client=redis_client)
    _set_checkpoint(redis_client, "orders", 140)
    assert published_freshness("orders").is_behind is False
    assert published_freshness("orders").started is True


def test_behind_counts_the_appends_after_the_checkpoint_and_the_oldest_ones_age(redis_client):
    now = time.time()
    head.publish([(100, now - 9), (120, now - 4), (140, now - 1)], client=redis_client)
    _set_checkpoint(redis_client, "orders", 100)
    measured = published_freshness("orders")
    assert measured.events_behind == 2 and 3.5 <= measured.seconds_behind <= 6


def test_a_rebuilt_generation_is_followed(redis_client):
    head.publish([(100, time.time())], client=redis_client)
    _set_checkpoint(redis_client, "orders", 50)
    assert published_freshness("orders").is_behind
    redis_client.set(keys.generation_pointer("orders"), 2)
    _set_checkpoint(redis_client, "orders", 100, generation=2)
    assert not published_freshness("orders").is_behind


def test_a_read_model_that_applied_nothing_has_not_started(redis_client):
    _set_checkpoint(redis_client, "orders", None)
    assert published_freshness("orders").started is False


def test_only_the_newest_appends_are_kept(redis_client, monkeypatch):
    monkeypatch.setattr(head, "KEEP", 3)
    head.publish([(position, time.time()) for position in range(10)], client=redis_client)
    assert [int(score) for _, score in redis_client.zrange(head.APPENDS_KEY, 0, -1, withscores=True)] == [7, 8, 9]


@pytest.mark.django_db
def test_commands_publish_where_they_landed_and_read_your_writes_waits_for_them(redis_client, unique):
    from tests.integration.projections.conftest import receive

    redis_client.set(keys.checkpoint("inventory", 1), connections.event_store().head_position())
    receive(f"SKU-{unique}", 3)
    position = connections.event_store().head_position()
    deadline = time.monotonic() + 5
    while not published_freshness("inventory").is_behind:  # the background thread publishes it
        assert time.monotonic() < deadline, "the append was never published"
        time.sleep(0.01)

    assert reach_position(position, names=["inventory"], timeout=0.1).reached is False
    project_everything()
    assert reach_position(position, names=["inventory"], timeout=0.1).reached is True
    assert not published_freshness("inventory").is_behind
    # A position no append has reached is answered at once, with the store's head.
    beyond = reach_position(position + 10**9, names=["inventory"], timeout=5)
    assert beyond.reached is False and beyond.head == connections.event_store().head_position()
