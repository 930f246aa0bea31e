"""With Redis or the event store down, pages say "back in a moment" (503, refreshing), never a server error."""
from __future__ import annotations

import copy

import pytest

from config.devstack.local_services import free_port
from eventlog import store as store_module
from eventlog.store import EventStore

from .conftest import place


@pytest.fixture
def redis_down(settings):
    caches = copy.deepcopy(settings.CACHES)
    caches["default"]["LOCATION"] = f"redis://127.0.0.1:{free_port()}/0"
    settings.CACHES = caches  # django drops its cache connections when this setting changes


@pytest.fixture
def eventstore_down():
    store_module.set_store(EventStore(f"esdb://127.0.0.1:{free_port()}?Tls=false"))
    yield
    store_module.set_store(None)


@pytest.mark.parametrize("path", ["/", "/orders/"])
def test_pages_answer_503_back_in_a_moment_while_redis_is_down(client_a, redis_down, path):
    response = client_a.get(path)

    assert response.status_code == 503
    assert response["Retry-After"] == "3"
    assert "Back in a moment" in response.content.decode()


def test_the_order_page_answers_503_while_the_event_store_is_down(client_a, customer_a, stocked, eventstore_down):
    store_module.set_store(None)
    order_id = place(customer_a, (stocked(), 1))
    store_module.set_store(EventStore(f"esdb://127.0.0.1:{free_port()}?Tls=false"))

    response = client_a.get(f"/orders/{order_id}/")

    assert response.status_code == 503 and "Back in a moment" in response.content.decode()


def test_the_api_keeps_its_own_problem_details_for_outages(client_a, redis_down):
    response = client_a.get("/api/orders/")
    assert response.status_code == 503 and response["Content-Type"].startswith("application/problem+json")
