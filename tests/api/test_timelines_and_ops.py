"""Timelines with time travel, projection status, dead letters, and 503s when a backend is down."""
from __future__ import annotations

from uuid import uuid4

import pytest

from eventlog.errors import EventStoreUnavailableError
from eventlog.subscriptions import keys
from eventlog.subscriptions.dead_letters import DeadLetter
from tests.api.conftest import post_order, problem

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(customer_a, catalogue, catch_up) -> dict:
    """Customer A's order for two mugs, confirmed and then cancelled (versions 0, 1, 2)."""
    created = post_order(customer_a, (catalogue.mug, 2)).json()
    catch_up()
    customer_a.client.post(f"{created['location']}cancel/", {"reason": "changed my mind"}, format="json")
    catch_up()
    return created


def test_a_customer_reads_their_own_writes_in_the_timeline_with_min_position(customer_a, catalogue, catch_up):
    created = post_order(customer_a, (catalogue.mug, 1)).json()
    catch_up()
    cancelled = customer_a.client.post(f"{created['location']}cancel/", {"reason": "oops"}, format="json")
    position = cancelled["X-Event-Position"]

    stale = customer_a.client.get(f"{created['location']}events/", {"min_position": position})
    assert stale.status_code == 200 and stale["X-Data-Stale"] == "true" and stale["Retry-After"] == "1"
    assert [e["event_type"] for e in stale.json()["entries"]] == ["OrderCreated", "OrderConfirmed"]

    catch_up()
    fresh = customer_a.client.get(f"{created['location']}events/", {"min_position": position})
    assert fresh["X-Data-Stale"] == "false"
    assert [e["event_type"] for e in fresh.json()["entries"]][-1] == "OrderCancelled"


def test_an_order_timeline_describes_each_event_and_what_it_changed(customer_a, order):
    body = customer_a.client.get(f"{order['location']}events/").json()

    assert [e["event_type"] for e in body["entries"]] == ["OrderCreated", "OrderConfirmed", "OrderCancelled"]
    assert body["last_version"] == 2 and body["as_of_version"] == 2 and body["state"]["status"] == "CANCELLED"
    assert body["entries"][0]["description"].startswith("Order placed: 2 items, 25.00")
    assert {"path": "status", "before": "CONFIRMED", "after": "CANCELLED"} in body["entries"][2]["changes"]
    assert body["entries"][0]["data"]["total"] == "25.00"
    assert all(e["metadata"] is None for e in body["entries"])  # metadata is for staff
    assert body["next_from_version"] is None


def test_as_of_version_returns_the_state_at_that_version(customer_a, staff, order):
    past = customer_a.client.get(f"{order['location']}events/", {"as_of_version": 1}).json()
    window = staff.client.get(f"{order['location']}events/", {"from_version": 1, "limit": 1}).json()

    assert past["state"]["status"] == "CONFIRMED" and past["as_of_version"] == 1
    assert [e["version"] for e in past["entries"]] == [0, 1]
    assert [e["version"] for e in window["entries"]] == [1] and window["next_from_version"] == 2
    assert window["entries"][0]["metadata"]["actor"].startswith("system:")
    problem(customer_a.client.get(f"{order['location']}events/", {"as_of_version": 9}), 400)
    problem(customer_a.client.get(f"{order['location']}events/", {"as_of_version": -1}), 400)


def test_another_customers_timeline_is_404(customer_b, order):
    problem(customer_b.client.get(f"{order['location']}events/"), 404)
    problem(customer_b.client.get(f"/api/orders/{uuid4()}/events/"), 404)


def test_staff_read_any_stream(staff, order, catalogue):
    stream = staff.client.get(f"/api/streams/{order['stream']}/events/").json()
    stock = staff.client.get(f"/api/streams/inventory-{catalogue.mug}/events/").json()

    assert stream["kind"] == "order" and stream["last_version"] == 2
    assert stock["kind"] == "inventory" and stock["entries"][0]["event_type"] == "StockReceived"
    problem(staff.client.get("/api/streams/nothing-here/events/"), 404)
    problem(staff.client.get(f"/api/streams/order-{'x' * 5000}/events/"), 404)
    problem(staff.client.get(f"/api/streams/order-{uuid4()}/events/"), 404)


def test_projection_status_lists_every_subscriber_with_its_lag(staff, catch_up):
    catch_up()
    body = staff.client.get("/api/projections/").json()

    names = {row["name"] for row in body}
    assert {"orders", "inventory"} <= names
    assert all(row["lag_events"] == 0 and row["state"] in ("idle", "running") for row in body)


def test_dead_letters_can_be_listed_retried_and_discarded(staff, order, app_store, redis_client):
    [created, confirmed, _] = app_store.read_stream(order["stream"])
    for event in (created, confirmed):
        letter = DeadLetter(subscriber="orders", event_id=str(event.event_id), stream_name=event.stream_name,
                            stream_position=event.stream_position, commit_position=event.commit_position,
                            event_type=event.event_type, error="Boom", traceback="...", attempts=3,
                            first_failed_at="2026-01-01T00:00:00+00:00", last_failed_at="2026-01-01T00:00:00+00:00",
                            policy="park", generation=1)
        redis_client.hset(keys.dead_letters("orders"), letter.event_id, letter.to_json())
    base = "/api/projections/orders/dead-letters/"

    listed = staff.client.get(base).json()
    retried = staff.client.post(f"{base}retry/", {"event_ids": [str(created.event_id), "nope"]}, format="json")
    discarded = staff.client.post(f"{base}discard/", {"event_ids": [str(confirmed.event_id)]}, format="json")

    assert [row["event_type"] for row in listed] == ["OrderCreated", "OrderConfirmed"]
    assert retried.status_code == 200, retried.content
    assert [o["succeeded"] for o in retried.json()["outcomes"]] == [True, False]
    assert discarded.json() == {"discarded": [str(confirmed.event_id)]}
    assert staff.client.get(base).json() == []
    problem(staff.client.get("/api/projections/nope/dead-letters/"), 404)
    problem(staff.client.post(f"{base}retry/", {"event_ids": []}, format="json"), 400)


def test_an_unavailable_event_store_is_503_with_retry_after(customer_a, catalogue, monkeypatch):
    def down(*args, **kwargs):
        raise EventStoreUnavailableError("event store unavailable: test")

    monkeypatch.setattr("orders.api.views.orders.dispatch", down)
    response = post_order(customer_a, (catalogue.mug, 1))

    assert problem(response, 503)["type"].endswith("service-unavailable")
    assert response["Retry-After"] == "1"


def test_without_a_master_key_a_new_order_is_503_and_nothing_is_written(customer_a, catalogue):
    from eventlog import connections
    from eventlog.pii import use_keyring
    from eventlog.pii.keys import Keyring
    from eventlog.pii.master import LocalMasterKey
    from eventlog.pii.table import DatabaseKeyTable

    head = connections.event_store().head_position()
    with use_keyring(Keyring(DatabaseKeyTable(), LocalMasterKey.from_text(""))):
        response = post_order(customer_a, (catalogue.mug, 1))

    body = problem(response, 503)
    assert "personal data cannot be encrypted" in body["detail"] and response["Retry-After"] == "1"
    assert connections.event_store().head_position() == head  # not a byte, in clear or otherwise


def test_an_unavailable_redis_is_503_with_retry_after(settings, customer_a, catalogue):
    settings.CACHES = {"default": {
        "BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"CLIENT_CLASS": "django_redis.client.DefaultClient", "SOCKET_CONNECT_TIMEOUT": 0.2}}}

    read = customer_a.client.get(f"/api/orders/{uuid4()}/")
    keyed = post_order(customer_a, (catalogue.mug, 1), HTTP_IDEMPOTENCY_KEY="k1")

    for response in (read, keyed):
        problem(response, 503)
        assert response["Retry-After"] == "1"
