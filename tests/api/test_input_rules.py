"""Input the API refuses or answers at once: invisible characters in text, min_position past the head,
and Idempotency-Keys of requests that never reached a decision."""
from __future__ import annotations

import time
from uuid import uuid4

import pytest

from eventlog import connections
from orders.timelines import order_timeline
from tests.api.conftest import post_order, problem

pytestmark = pytest.mark.django_db


@pytest.fixture
def confirmed(customer_a, catalogue, catch_up) -> dict:
    created = post_order(customer_a, (catalogue.mug, 1)).json()
    catch_up()
    return created


# -- text fields ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("action", "body", "field"), [
    ("notes", {"text": "all good \u202eevil"}, "text"),  # right-to-left override
    ("notes", {"text": "\u200b"}, "text"),  # zero-width space only
    ("cancel", {"reason": "changed\u2066 my mind"}, "reason"),  # bidi isolate
    ("cancel", {"reason": "bell\x07"}, "reason"),
    ("ship", {"carrier": "DHL\n", "tracking_number": "T1"}, "carrier"),  # single-line field
    ("ship", {"carrier": "DHL", "tracking_number": "T\ufeff1"}, "tracking_number"),
])
def test_control_and_format_characters_are_refused_naming_the_field(staff, confirmed, action, body, field):
    response = staff.client.post(f"{confirmed['location']}{action}/", body, format="json")

    errors = problem(response, 400)["errors"]
    assert [error["field"] for error in errors] == [field]
    assert "control or invisible formatting characters" in errors[0]["detail"]
    assert order_timeline(confirmed["aggregate_id"]).last_version == 1  # nothing was written


def test_notes_keep_newlines_and_tabs_and_are_stored_trimmed(staff, confirmed):
    response = staff.client.post(f"{confirmed['location']}notes/", {"text": "  line one\r\n\tline two \n"},
                                 format="json")

    assert response.status_code == 200, response.content
    assert order_timeline(confirmed["aggregate_id"]).state["notes"][0]["text"] == "line one\n\tline two"


def test_a_payment_reference_with_a_line_break_is_refused(customer_a, confirmed):
    response = customer_a.client.post(f"{confirmed['location']}pay/",
                                      {"amount": "12.50", "payment_reference": "P1\nP2"}, format="json")

    assert [error["field"] for error in problem(response, 400)["errors"]] == ["payment_reference"]


# -- min_position past the head -------------------------------------------------------------------


def test_a_min_position_beyond_the_head_is_answered_at_once_as_stale(customer_a, confirmed):
    head = connections.event_store().head_position()
    beyond = head + 1_000_000
    started = time.monotonic()
    by_query = customer_a.client.get(confirmed["location"], {"min_position": beyond})
    by_header = customer_a.client.get("/api/orders/", HTTP_X_MIN_POSITION=str(beyond))
    products = customer_a.client.get("/api/products/", {"min_position": beyond})
    elapsed = time.monotonic() - started

    assert elapsed < 0.5, elapsed  # three reads; each would otherwise hold its worker for a second
    for response in (by_query, by_header, products):
        assert response.status_code == 200 and response.json()["stale"] is True
        assert response["X-Data-Stale"] == "true" and int(response["X-Event-Head"]) >= head


def test_a_reached_position_is_not_stale_and_names_no_head(customer_a, confirmed):
    response = customer_a.client.get(confirmed["location"], {"min_position": confirmed["commit_position"]})

    assert response["X-Data-Stale"] == "false" and not response.has_header("X-Event-Head")


# -- idempotency keys of refused requests ---------------------------------------------------------


def test_a_key_refused_by_validation_is_not_kept_so_the_corrected_request_goes_through(customer_a, catalogue):
    key = str(uuid4())

    invalid = post_order(customer_a, (catalogue.mug, 0), HTTP_IDEMPOTENCY_KEY=key)
    corrected = post_order(customer_a, (catalogue.mug, 1), HTTP_IDEMPOTENCY_KEY=key)
    replayed = post_order(customer_a, (catalogue.mug, 1), HTTP_IDEMPOTENCY_KEY=key)

    problem(invalid, 400)
    assert corrected.status_code == 201, corrected.content
    assert replayed.status_code == 201 and replayed["Idempotent-Replayed"] == "true"
    events = connections.event_store().read_stream(corrected.json()["stream"])
    assert [event.event_type for event in events] == ["OrderCreated"]


def test_a_key_refused_by_the_domain_is_kept_and_replayed(customer_a, confirmed):
    key = str(uuid4())
    url = f"{confirmed['location']}pay/"

    refused = customer_a.client.post(url, {"amount": "1.00", "payment_reference": "P"}, format="json",
                                     HTTP_IDEMPOTENCY_KEY=key)
    other = customer_a.client.post(url, {"amount": "12.50", "payment_reference": "P"}, format="json",
                                   HTTP_IDEMPOTENCY_KEY=key)

    assert problem(refused, 409)["type"].endswith("business-rule")
    assert problem(other, 422)["type"].endswith("idempotency-key-reused")
