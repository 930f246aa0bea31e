"""A client's X-Request-ID is logged as its own, never made the events' correlation id, unless the
deployment says a trusted proxy sets the header (TRUST_REQUEST_ID_HEADER)."""
from __future__ import annotations

import logging
from uuid import UUID, uuid4

import pytest

from tests.api.conftest import post_order

pytestmark = pytest.mark.django_db


def _created_event(app_store, response):
    assert response.status_code == 201, response.content
    return app_store.read_stream(response.json()["stream"])[0]


def test_a_clients_request_id_is_logged_but_not_the_correlation_id(customer_a, catalogue, app_store, caplog):
    sent = str(uuid4())
    with caplog.at_level(logging.INFO, logger="http"):
        response = post_order(customer_a, (catalogue.mug, 1), HTTP_X_REQUEST_ID=sent)

    event = _created_event(app_store, response)
    assert event.metadata.correlation_id != UUID(sent)
    assert event.metadata.correlation_id == UUID(response["X-Request-ID"])
    [line] = [r.msg for r in caplog.records if r.name == "http" and isinstance(r.msg, dict)]
    assert line["client_request_id"] == sent and line["correlation_id"] == response["X-Request-ID"]


def test_a_trusted_proxys_request_id_is_the_correlation_id(settings, customer_a, catalogue, app_store):
    settings.TRUST_REQUEST_ID_HEADER = True
    sent = str(uuid4())

    response = post_order(customer_a, (catalogue.mug, 1), HTTP_X_REQUEST_ID=sent)

    assert _created_event(app_store, response).metadata.correlation_id == UUID(sent)
    assert response["X-Request-ID"] == sent
