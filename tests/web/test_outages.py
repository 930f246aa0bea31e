"""With Redis down, pages say "back in a moment" (503, refreshing), never a server error; customer pages
need only Redis, so they go on while the event store is down."""
from __future__ import annotations

import copy

import pytest

from config.devstack.local_services import free_port
from eventlog import connections
from eventlog.store import EventStore

from .conftest import place, project


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


def test_the_order_page_is_served_from_the_read_models_while_the_event_store_is_down(client_a, customer_a, stocked):
    order_id = place(customer_a, (stocked(), 1))
    project()
    store = _unreachable_store()

    with connections.use(store=store):
        response = client_a.get(f"/orders/{order_id}/")
        catalogue = client_a.get("/")
    store.close()

    text = response.content.decode()
    assert response.status_code == 200 and "Confirmed" in text and "Order placed: 1 item" in text
    assert catalogue.status_code == 200 and 'id="freshness"' not in catalogue.content.decode()


class _Watched:
    """An event store that records every use (and fails it): customer reads must make none."""

    def __init__(self) -> None:
        self.used: list[str] = []

    def __getattr__(self, name: str):
        self.used.append(name)
        raise AssertionError(f"a customer read used the event store: {name}")


def test_customer_pages_and_reads_never_touch_the_event_store(client_a, customer_a, stocked):
    # Not the data export (/account/export/, /api/me/export/): an explicit download that reads each order's
    # history from the store on purpose; while the store is down it is 503 and nothing (tested below).
    order_id = place(customer_a, (stocked(), 1))
    project()
    watched = _Watched()

    with connections.use(store=watched):  # type: ignore[arg-type]
        answers = {path: client_a.get(path) for path in (
            "/", "/orders/", f"/orders/{order_id}/", f"/api/orders/{order_id}/", f"/api/orders/{order_id}/events/",
            f"/api/orders/{order_id}/?min_position=1")}

    assert {path: r.status_code for path, r in answers.items()} == dict.fromkeys(answers, 200)
    assert watched.used == []
    events = answers[f"/api/orders/{order_id}/events/"].json()
    assert [e["event_type"] for e in events["entries"]] == ["OrderCreated", "OrderConfirmed"]


def test_the_api_keeps_its_own_problem_details_for_outages(client_a, redis_down):
    response = client_a.get("/api/orders/")
    assert response.status_code == 503 and response["Content-Type"].startswith("application/problem+json")


def test_the_data_export_is_whole_or_503_while_the_event_store_is_down(client_a, customer_a, stocked, role_client):
    from django.contrib.admin.models import LogEntry

    from orders import roles

    place(customer_a, (stocked(), 1))
    project()
    support = role_client(roles.SUPPORT)
    store = _unreachable_store()

    with connections.use(store=store):
        page = client_a.get("/account/export/")
        api = client_a.get("/api/me/export/")
        staff = support.post(f"/admin/customers/{customer_a.pk}/export/")
    store.close()

    for response in (page, api, staff):
        assert response.status_code == 503 and response["Retry-After"]
        assert "Content-Disposition" not in response and "OrderCreated" not in response.content.decode()
    assert "Nothing was downloaded" in page.content.decode() and "Nothing was downloaded" in staff.content.decode()
    assert api["Content-Type"].startswith("application/problem+json")
    assert "Nothing was downloaded" in api.json()["detail"]
    assert not LogEntry.objects.filter(object_id=str(customer_a.pk), content_type__model="user").exists()


def test_the_data_export_is_503_while_redis_is_down(client_a, redis_down):
    page = client_a.get("/account/export/")
    api = client_a.get("/api/me/export/")

    assert page.status_code == 503 and "Content-Disposition" not in page
    assert api.status_code == 503 and api["Content-Type"].startswith("application/problem+json")


def test_the_admin_customer_page_renders_without_its_orders_while_redis_is_down(role_client, customer_a, redis_down):
    from orders import roles

    page = role_client(roles.SUPPORT).get(f"/admin/customers/{customer_a.pk}/")

    assert page.status_code == 200 and "the read models cannot be reached" in page.content.decode()
