"""With Redis or the event store down, pages say "back in a moment" (503, refreshing), never a server error."""
from __future__ import annotations

import copy

import pytest

from config.devstack.local_services import free_port
from eventlog import connections
from eventlog.store import EventStore

from .conftest import place


@pytest.fixture
def redis_down(settings):
    caches = copy.deepcopy(settings.CACHES)
    caches["default"]["LOCATION"] = f"redis://127.0.0.1:{free_port()}/0"
    settings.CACHES = caches  # django drops its cache connections when this setting changes


def _unreachable_store() -> EventStore:
    return EventStore(f"esdb://127.0.0.1:{free_port()}?Tls=false")


@pytest.mark.parametrize("path", ["/", "/orders/"])
def test_pages_answer_503_back_in_a_moment_while_redis_is_down(client_a, redis_down, path):
    response = client_a.get(path)

    assert response.status_code == 503
    assert response["Retry-After"] == "3"
    assert "Back in a moment" in response.content.decode()


def test_the_order_page_answers_503_while_the_event_store_is_down(client_a, customer_a, stocked):
    order_id = place(customer_a, (stocked(), 1))
    store = _unreachable_store()

    with connections.use(store=store):
        response = client_a.get(f"/orders/{order_id}/")
    store.close()

    assert response.status_code == 503 and "Back in a moment" in response.content.decode()


def test_the_api_keeps_its_own_problem_details_for_outages(client_a, redis_down):
    response = client_a.get("/api/orders/")
    assert response.status_code == 503 and response["Content-Type"].startswith("application/problem+json")
