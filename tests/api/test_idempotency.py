"""Idempotency-Key over HTTP: replays of the first response, 422 for another body, per user, concurrent duplicates."""
from __future__ import annotations

import threading
from uuid import uuid4

import pytest
from django.core.cache import cache

from eventlog import connections
from tests.api.conftest import SHIPPING_ADDRESS, post_order, problem


def stream_version(stream: str) -> int | None:
    return connections.event_store().stream_version(stream)


@pytest.mark.django_db
def test_the_same_key_and_body_replays_the_first_response_without_new_events(customer_a, catalogue):
    key = str(uuid4())
    first = post_order(customer_a, (catalogue.mug, 1), HTTP_IDEMPOTENCY_KEY=key)
    again = post_order(customer_a, (catalogue.mug, 1), HTTP_IDEMPOTENCY_KEY=key)

    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert again["Idempotent-Replayed"] == "true" and not first.has_header("Idempotent-Replayed")
    assert again["Location"] == first["Location"] and again["X-Event-Position"] == first["X-Event-Position"]
    assert stream_version(first.json()["stream"]) == 0


@pytest.mark.django_db
def test_the_same_key_with_another_body_is_422(customer_a, catalogue):
    key = str(uuid4())
    post_order(customer_a, (catalogue.mug, 1), HTTP_IDEMPOTENCY_KEY=key)

    other = post_order(customer_a, (catalogue.mug, 2), HTTP_IDEMPOTENCY_KEY=key)

    assert problem(other, 422)["type"].endswith("idempotency-key-reused")


@pytest.mark.django_db
def test_keys_are_per_user(customer_a, customer_b, catalogue):
    key = str(uuid4())
    mine = post_order(customer_a, (catalogue.mug, 1), HTTP_IDEMPOTENCY_KEY=key).json()
    theirs = post_order(customer_b, (catalogue.mug, 1), HTTP_IDEMPOTENCY_KEY=key).json()

    assert mine["aggregate_id"] != theirs["aggregate_id"] and theirs["replayed"] is False


@pytest.mark.django_db
def test_a_retry_after_the_http_record_expired_targets_the_same_order(customer_a, catalogue):
    key = str(uuid4())
    first = post_order(customer_a, (catalogue.mug, 1), HTTP_IDEMPOTENCY_KEY=key).json()
    cache.clear()  # the 24 h record is gone; the event store still knows the key

    again = post_order(customer_a, (catalogue.mug, 1), HTTP_IDEMPOTENCY_KEY=key)

    assert again.status_code == 201
    assert again.json()["aggregate_id"] == first["aggregate_id"] and again.json()["replayed"] is True
    assert stream_version(first["stream"]) == 0


@pytest.mark.django_db
def test_command_actions_and_their_refusals_are_replayed_too(customer_a, catalogue, catch_up):
    order = post_order(customer_a, (catalogue.mug, 2)).json()
    catch_up()
    url = f"/api/orders/{order['aggregate_id']}/pay/"
    key, bad_key = str(uuid4()), str(uuid4())

    paid = customer_a.client.post(url, {"amount": "25.00", "payment_reference": "P1"}, format="json",
                                  HTTP_IDEMPOTENCY_KEY=key)
    again = customer_a.client.post(url, {"amount": "25.00", "payment_reference": "P1"}, format="json",
                                   HTTP_IDEMPOTENCY_KEY=key)
    refused = customer_a.client.post(url, {"amount": "1.00", "payment_reference": "P2"}, format="json",
                                     HTTP_IDEMPOTENCY_KEY=bad_key)
    refused_again = customer_a.client.post(url, {"amount": "1.00", "payment_reference": "P2"}, format="json",
                                           HTTP_IDEMPOTENCY_KEY=bad_key)

    assert paid.status_code == again.status_code == 200 and paid.json() == again.json()
    assert stream_version(order["stream"]) == 2
    assert refused.status_code == refused_again.status_code == 409
    assert refused.json() == refused_again.json() and refused_again["Content-Type"] == "application/problem+json"


@pytest.mark.django_db
def test_a_malformed_key_is_400(customer_a, catalogue):
    problem(post_order(customer_a, (catalogue.mug, 1), HTTP_IDEMPOTENCY_KEY="x" * 256), 400)
    problem(post_order(customer_a, (catalogue.mug, 1), HTTP_IDEMPOTENCY_KEY="with space"), 400)


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_requests_with_the_same_key_make_one_set_of_events(customer_a, catalogue):
    key = str(uuid4())
    barrier = threading.Barrier(4)
    responses = []

    def send() -> None:
        from rest_framework.test import APIClient

        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {customer_a.token}")
        barrier.wait()
        responses.append(client.post("/api/orders/", {"lines": [{"sku": catalogue.mug, "quantity": 1}],
                                                           "shipping_address": SHIPPING_ADDRESS},
                                     format="json", HTTP_IDEMPOTENCY_KEY=key))

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert [r.status_code for r in responses] == [201] * 4
    bodies = [r.json() for r in responses]
    assert all(body == bodies[0] for body in bodies)
    assert sum(not r.has_header("Idempotent-Replayed") for r in responses) == 1
    assert stream_version(bodies[0]["stream"]) == 0
    events = connections.event_store().read_stream(bodies[0]["stream"])
    assert [e.event_type for e in events] == ["OrderCreated"]
