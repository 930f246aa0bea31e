"""Request ids become correlation ids in events; /metrics is protected and shows commands and lag."""
from __future__ import annotations

import json
import logging
from uuid import UUID, uuid4

import pytest

from eventlog.correlation import correlated
from orders.domain.commands import ReceiveStock
from orders.domain.values import Actor
from orders.handlers import dispatch
from orders.roles import OPERATIONS
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_request_id_is_made_unless_a_trusted_proxy_sets_it(client, settings):
    given = str(uuid4())
    made = client.get("/ping", HTTP_X_REQUEST_ID=given)["X-Request-ID"]
    assert UUID(made) and made != given
    settings.TRUST_REQUEST_ID_HEADER = True
    assert client.get("/ping", HTTP_X_REQUEST_ID=given)["X-Request-ID"] == given
    made = client.get("/ping", HTTP_X_REQUEST_ID="not-a-uuid")["X-Request-ID"]
    assert UUID(made) and made != "not-a-uuid"


def test_the_bound_correlation_id_lands_in_the_events_metadata(app_store, unique):
    correlation = uuid4()
    with correlated(correlation):
        result = dispatch(ReceiveStock(sku=f"CORR-{unique}".upper(), quantity=1), actor=Actor.staff("1"))
    [event] = app_store.read_stream(result.stream_name)
    assert event.metadata.correlation_id == correlation


def test_log_lines_carry_the_correlation_id(client, caplog):
    with caplog.at_level(logging.INFO, logger="http"):
        response = client.get("/ping")
    [record] = [r for r in caplog.records if r.name == "http"]
    rendered = json.dumps(record.msg) if isinstance(record.msg, dict) else str(record.msg)
    assert "request" in rendered and response["X-Request-ID"] in rendered


@pytest.fixture
def staff_client(client):
    user = make_staff("ops", role=OPERATIONS)
    client.force_login(user)
    return client


def test_metrics_need_staff_or_the_token(client, settings):
    assert client.get("/metrics").status_code == 403
    settings.METRICS_TOKEN = "scrape-me"
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-me").status_code == 200


def test_metrics_count_commands_by_outcome_and_report_projection_lag(staff_client, unique):
    sku = f"MET-{unique}".upper()
    dispatch(ReceiveStock(sku=sku, quantity=1), actor=Actor.staff("1"))
    with pytest.raises(Exception):  # noqa: B017 - any refusal; the metric label is what matters
        dispatch(ReceiveStock(sku=sku, quantity=1), actor=Actor.customer("9"))

    body = staff_client.get("/metrics").content.decode()

    assert 'ordersys_commands_total{command="ReceiveStock",outcome="ok"}' in body
    assert 'ordersys_commands_total{command="ReceiveStock",outcome="refused"}' in body
    assert "ordersys_append_seconds_bucket" in body
    for name in ("orders", "inventory", "sales", "customer_timeline", "fulfillment", "notifications"):
        assert f'ordersys_projection_lag_events{{subscriber="{name}"}}' in body
        assert f'ordersys_dead_letters{{subscriber="{name}"}}' in body
