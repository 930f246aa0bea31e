"""Poison events never silently stop the shop: unknown types are skipped, undecodable ones are loud.

The whole path with the production runner in-process: the event store, Redis, every subscriber
(read models and the fulfillment process manager), /healthz and the admin banner.
"""
from __future__ import annotations

import logging
from uuid import uuid4

import pytest
from django.test import Client
from prometheus_client import REGISTRY

from eventlog import connections
from eventlog.envelope import NO_STREAM, EventMetadata, NewEvent
from projections import selectors
from tests.web.conftest import place, project

META = EventMetadata(correlation_id=uuid4(), causation_id=None, actor="system:test")
BANNER = 'id="projection-attention"'


def _append_raw(stream: str, event_type: str, data: bytes) -> None:
    connections.event_store().append(stream, [NewEvent(uuid4(), event_type, 1, data, META)], expected_version=NO_STREAM)


@pytest.fixture
def plain_staff_client(django_user_model) -> Client:
    user = django_user_model.objects.create_user("pat", "pat@example.com", "pat-password-1", is_staff=True)
    client = Client()
    client.force_login(user)
    return client


def test_an_unknown_event_type_on_an_order_stream_does_not_stop_fulfillment(staff_client, customer_a, stocked,
                                                                           caplog):
    mug = stocked()
    mystery, stream = f"ParcelTeleported{uuid4().hex[:8]}", f"order-{uuid4()}"
    before = place(customer_a, (mug, 1))
    _append_raw(stream, mystery, b'{"to": "the moon"}')
    after = place(customer_a, (mug, 1))

    with caplog.at_level(logging.WARNING, logger="eventlog.subscriptions.catchup"):
        project()

    assert selectors.get_order(before).status == "CONFIRMED" and selectors.get_order(after).status == "CONFIRMED"
    skipped = REGISTRY.get_sample_value("ordersys_subscriber_events_skipped_total",
                                        {"subscriber": "fulfillment", "event_type": mystery})
    assert skipped == 1
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and mystery in r.getMessage()]
    assert any("fulfillment" in w and f"{stream}@0" in w for w in warnings), warnings
    health = staff_client.get("/healthz").json()
    assert (health["status"], health["reasons"]) == ("ok", [])
    assert BANNER not in staff_client.get("/admin/").content.decode()


def test_an_undecodable_event_of_a_known_type_is_dead_lettered_loudly_and_degrades_health(
        staff_client, plain_staff_client, client, customer_a, stocked, caplog, settings):
    settings.METRICS_TOKEN = "scrape-me"
    stream = f"order-{uuid4()}"
    _append_raw(stream, "OrderCreated", b'{"order_id": ')

    with caplog.at_level(logging.ERROR, logger="eventlog.subscriptions.catchup"):
        project()

    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert any("fulfillment halted before" in e and f"{stream}@0" in e and "'OrderCreated'" in e
               and "malformed JSON" in e for e in errors), errors
    assert any("orders parked" in e for e in errors), errors

    staff = staff_client.get("/healthz")
    assert staff.status_code == 200 and staff.json()["status"] == "degraded"
    reasons = " | ".join(staff.json()["reasons"])
    assert "fulfillment is halted" in reasons and "orders has 1 dead letter" in reasons
    assert set(staff.json()["checks"]) == {"eventstore", "redis", "broker", "keyring"}
    anonymous = client.get("/healthz")
    assert anonymous.status_code == 200 and anonymous.json() == {"status": "degraded"}
    scraper = Client().get("/healthz", HTTP_AUTHORIZATION="Bearer scrape-me")
    assert "checks" in scraper.json() and scraper.json()["reasons"]
    assert Client().get("/healthz", HTTP_AUTHORIZATION="Bearer wrong").json() == {"status": "degraded"}

    for page in ("/admin/", "/admin/auth/user/", "/admin/eventlog/events/"):
        shown = staff_client.get(page).content.decode()
        assert BANNER in shown and "fulfillment is halted" in shown and "/admin/projections/subscribers/" in shown
        assert BANNER not in plain_staff_client.get(page).content.decode()  # may not operate projections


def test_health_is_ok_for_everyone_and_details_only_for_staff_when_all_is_well(staff_client, client):
    assert client.get("/healthz").json() == {"status": "ok"}
    body = staff_client.get("/healthz").json()
    assert body["status"] == "ok" and body["reasons"] == []
    assert all(check["latency_ms"] >= 0 for check in body["checks"].values())


def test_an_unknown_event_inside_an_order_s_own_stream_leaves_the_order_usable(staff_client, customer_a, client_a,
                                                                              stocked):
    """Newer code (or another service) wrote a type this code lacks into a live order: nothing answers 500."""
    mug = stocked()
    order_id = place(customer_a, (mug, 1))
    project()
    stream = f"order-{order_id}"
    version = connections.event_store().stream_version(stream)
    mystery = f"GiftWrapped{uuid4().hex[:8]}"
    connections.event_store().append(stream, [NewEvent(uuid4(), mystery, 1, b'{"paper": "gold"}', META)],
                       expected_version=version)
    project()

    page = client_a.get(f"/orders/{order_id}/")
    assert page.status_code == 200 and mystery not in page.content.decode()  # customers see only what we know
    events = client_a.get(f"/api/orders/{order_id}/events/")
    assert events.status_code == 200
    assert mystery not in {entry["event_type"] for entry in events.json()["entries"]}
    staff_page = staff_client.get(f"/admin/eventlog/stream/{stream}/")
    assert staff_page.status_code == 200 and mystery in staff_page.content.decode()  # staff see everything

    # The aggregate loads past it at the right version, so a command still appends after it.
    cancelled = client_a.post(f"/orders/{order_id}/cancel/", {"reason": "changed my mind",
                                                                "version": version + 1})
    assert cancelled.status_code == 302
    assert connections.event_store().read_stream(stream, backwards=True, limit=1)[0].event_type == "OrderCancelled"
