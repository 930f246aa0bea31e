"""Orders over HTTP: place (prices from the catalogue), read with ETag and read-your-writes, list and page."""
from __future__ import annotations

from decimal import Decimal
from uuid import UUID, uuid4

import pytest

from tests.api.conftest import SHIPPING_ADDRESS, post_order, problem

pytestmark = pytest.mark.django_db


def test_placing_an_order_answers_201_with_location_position_and_etag(customer_a, catalogue):
    response = post_order(customer_a, (catalogue.mug, 2), (catalogue.tee, 1))

    assert response.status_code == 201, response.content
    body = response.json()
    order_id = UUID(body["aggregate_id"])
    assert response["Location"] == f"/api/orders/{order_id}/" == body["location"]
    assert response["ETag"] == '"0"' and body["version"] == 0
    assert int(response["X-Event-Position"]) == body["commit_position"] > 0
    assert body["stream"] == f"order-{order_id}" and body["replayed"] is False
    assert [e["event_type"] for e in body["events"]] == ["OrderCreated"]


def test_a_read_with_min_position_waits_for_the_read_model(customer_a, catalogue, catch_up):
    created = post_order(customer_a, (catalogue.mug, 2)).json()
    catch_up()

    response = customer_a.client.get(created["location"], {"min_position": created["commit_position"]})

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["stale"] is False and response["X-Data-Stale"] == "false"
    assert body["total"] == "25.00" and body["lines"][0]["unit_price"] == "12.50"
    assert body["status"] == "CONFIRMED"  # fulfillment reserved the stock
    assert response["ETag"] == f'"{body["version"]}"'
    assert body["customer_id"] == str(customer_a.user.pk)


def test_a_read_that_the_read_model_has_not_reached_is_marked_stale(customer_a, catalogue, catch_up):
    first = post_order(customer_a, (catalogue.mug, 1)).json()
    catch_up()
    second = post_order(customer_a, (catalogue.mug, 1)).json()  # not projected: no subscriber runs now

    fresh = customer_a.client.get(first["location"])
    stale = customer_a.client.get(first["location"], HTTP_X_MIN_POSITION=str(second["commit_position"]))
    missing = customer_a.client.get(second["location"], {"min_position": second["commit_position"]})

    assert fresh.status_code == 200 and fresh.json()["stale"] is False
    assert stale.status_code == 200 and stale.json()["stale"] is True and stale["X-Data-Stale"] == "true"
    body = problem(missing, 404)
    assert missing["X-Data-Stale"] == "true" and "behind" in body["detail"]


def test_prices_never_come_from_the_client(customer_a, catalogue, catch_up):
    response = customer_a.client.post("/api/orders/", {"lines": [{"sku": catalogue.mug, "quantity": 1,
                                                                   "unit_price": "0.01"}],
                                                        "shipping_address": SHIPPING_ADDRESS}, format="json")
    assert response.status_code == 201
    catch_up()
    assert customer_a.client.get(response["Location"]).json()["total"] == "12.50"


@pytest.mark.parametrize("body, field", [
    ({}, "lines"),
    ({"lines": []}, "lines"),
    ({"lines": [{"sku": "bad sku!", "quantity": 1}]}, "lines.0.sku"),
    ({"lines": [{"sku": "MUG", "quantity": 0}]}, "lines.0.quantity"),
    ({"lines": [{"sku": "MUG", "quantity": 10**30}]}, "lines.0.quantity"),
    ({"lines": [{"sku": "MUG", "quantity": "many"}]}, "lines.0.quantity"),
    ({"lines": "MUG"}, "lines"),
    ([], None),
])
def test_malformed_orders_are_400_with_field_errors(customer_a, body, field):
    response = customer_a.client.post("/api/orders/", body, format="json")
    errors = problem(response, 400)["errors"]
    assert field in [error["field"] for error in errors], errors


def test_unknown_duplicate_and_inactive_skus_are_refused(customer_a, catalogue):
    unknown = post_order(customer_a, ("NOPE-404", 1))
    duplicate = post_order(customer_a, (catalogue.mug, 1), (catalogue.mug, 2))
    inactive = post_order(customer_a, (catalogue.old, 1))

    assert "NOPE-404" in problem(unknown, 400)["detail"]
    assert problem(duplicate, 400)["errors"][0]["field"] == "lines"
    assert problem(inactive, 409)["type"].endswith("business-rule")


def test_malformed_json_and_wrong_media_type_are_problems(customer_a):
    bad_json = customer_a.client.post("/api/orders/", data="{not json", content_type="application/json")
    form = customer_a.client.post("/api/orders/", data="a=1", content_type="application/x-www-form-urlencoded")
    nan = customer_a.client.post("/api/orders/", data='{"lines": NaN}', content_type="application/json")

    problem(bad_json, 400)
    problem(form, 415)
    problem(nan, 400)


def test_malformed_and_unknown_order_ids_are_404(customer_a):
    problem(customer_a.client.get("/api/orders/not-a-uuid/"), 404)
    problem(customer_a.client.get(f"/api/orders/{uuid4()}/"), 404)
    problem(customer_a.client.post("/api/orders/123/cancel/", {"reason": "x"}, format="json"), 404)


def test_lists_are_newest_first_paged_by_cursor_and_filtered_by_status(customer_a, customer_b, staff, catalogue,
                                                                        catch_up):
    mine = [post_order(customer_a, (catalogue.mug, 1)).json()["aggregate_id"] for _ in range(3)]
    theirs = post_order(customer_b, (catalogue.tee, 1)).json()["aggregate_id"]
    catch_up()
    customer_a.client.post(f"/api/orders/{mine[0]}/cancel/", {"reason": "changed my mind"}, format="json")
    catch_up()

    first = customer_a.client.get("/api/orders/", {"page_size": 2}).json()
    second = customer_a.client.get("/api/orders/", {"page_size": 2, "cursor": first["next_cursor"]}).json()
    cancelled = customer_a.client.get("/api/orders/", {"status": "CANCELLED"}).json()
    confirmed = customer_a.client.get("/api/orders/", {"status": "CONFIRMED", "page_size": 1}).json()
    everything = staff.client.get("/api/orders/", {"page_size": 100}).json()
    bobs = staff.client.get("/api/orders/", {"customer_id": str(customer_b.user.pk)}).json()

    assert [o["order_id"] for o in first["items"] + second["items"]] == mine[::-1]
    assert first["total"] == 3 and second["next_cursor"] is None and first["next"].startswith("/api/orders/?")
    assert [o["order_id"] for o in cancelled["items"]] == [mine[0]]
    assert [o["order_id"] for o in confirmed["items"]] == [mine[2]] and confirmed["next_cursor"]
    assert {*mine, theirs} <= {o["order_id"] for o in everything["items"]}
    assert [o["order_id"] for o in bobs["items"]] == [theirs]


def test_a_bad_cursor_or_filter_is_400(customer_a):
    problem(customer_a.client.get("/api/orders/", {"cursor": "!!!"}), 400)
    problem(customer_a.client.get("/api/orders/", {"status": "LOST"}), 400)
    problem(customer_a.client.get("/api/orders/", {"page_size": 0}), 400)
    problem(customer_a.client.get("/api/orders/", {"min_position": "-1"}), 400)
    problem(customer_a.client.get("/api/orders/", HTTP_X_MIN_POSITION="x"), 400)


def test_products_show_prices_and_availability(anonymous, staff, catalogue, catch_up):
    catch_up()
    public = {p["sku"]: p for p in anonymous.client.get("/api/products/").json()["items"]}
    everything = {p["sku"]: p for p in staff.client.get("/api/products/").json()["items"]}

    assert public[catalogue.mug]["unit_price"] == "12.50" and public[catalogue.mug]["available"] == 10
    assert public[catalogue.tee]["in_stock"] is True
    assert catalogue.old not in public and everything[catalogue.old]["active"] is False
    assert Decimal(public[catalogue.tee]["unit_price"]) == Decimal("19.90")


@pytest.mark.parametrize("raw", ["[" * 100_000 + "]" * 100_000, '{"lines": [{"sku": "\\ud800", "quantity": 1}]}',
                                 '{"lines": [{"sku": "MUG", "quantity": 1e999}]}', '"just a string"', "null"])
def test_hostile_json_is_400_never_500(customer_a, raw):
    problem(customer_a.client.post("/api/orders/", data=raw, content_type="application/json"), 400)


def test_an_unexpected_error_is_still_a_problem(customer_a, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr("orders.api.views.orders.selectors.get_order", broken)
    body = problem(customer_a.client.get(f"/api/orders/{uuid4()}/"), 500)
    assert body["type"].endswith("internal-error") and "bug" not in body["detail"]
