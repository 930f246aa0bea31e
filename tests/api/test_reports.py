"""GET /api/reports/sales/: the dashboard's figures for a range of UTC days, and what it refuses."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.api.conftest import post_order, problem

pytestmark = pytest.mark.django_db
URL = "/api/reports/sales/"


def test_the_report_counts_todays_orders_revenue_and_best_sellers(staff, customer_a, catalogue, catch_up):
    paid = post_order(customer_a, (catalogue.mug, 2), (catalogue.tee, 1)).json()
    post_order(customer_a, (catalogue.tee, 1))
    catch_up()
    assert customer_a.client.post(f"{paid['location']}pay/", {"amount": "44.90", "payment_reference": "P-1"},
                                  format="json").status_code == 200
    catch_up()
    today = datetime.now(UTC).date()
    start = today - timedelta(days=2)

    response = staff.client.get(URL, {"from": start.isoformat(), "to": today.isoformat()})

    assert response.status_code == 200, response.content[:500]
    body = response.json()
    assert (body["from"], body["to"]) == (start.isoformat(), today.isoformat())
    assert [d["day"] for d in body["days"]] == [(start + timedelta(days=n)).isoformat() for n in range(3)]
    assert body["days"][0] == {"day": start.isoformat(), "orders_created": 0, "orders_paid": 0, "orders_cancelled": 0,
                               "orders_refunded": 0, "orders_rejected": 0, "currencies": []}
    eur = {"currency": "EUR", "orders_created": 2, "orders_paid": 1, "revenue": "44.90", "refunds": "0.00",
           "net_revenue": "44.90"}
    assert body["days"][-1]["currencies"] == [eur]
    assert body["totals"] == {"orders_created": 2, "orders_paid": 1, "orders_cancelled": 0, "orders_refunded": 0,
                              "orders_rejected": 0, "currencies": [eur]}
    assert body["top_products"] == [{"sku": catalogue.mug, "name": "Mug", "units": 2},
                                    {"sku": catalogue.tee, "name": "Tee", "units": 1}]


@pytest.mark.parametrize("query, field", [
    ({"to": "2026-01-01"}, "from"),
    ({"from": "2026-01-01"}, "to"),
    ({"from": "2026-13-01", "to": "2026-01-02"}, "from"),
    ({"from": "yesterday", "to": "2026-01-02"}, "from"),
    ({"from": "2026-01-01", "to": "2026-1-2"}, "to"),
    ({"from": "2026-01-02", "to": "2026-01-01"}, "to"),  # reversed
    ({"from": "2025-01-01", "to": "2026-01-02"}, "to"),  # 367 days
    ({"from": "2026-01-01", "to": "2026-01-01", "top": "0"}, "top"),
])
def test_bad_dates_are_a_problem_naming_the_parameter(staff, query, field):
    body = problem(staff.client.get(URL, query), 400)
    assert [e["field"] for e in body["errors"]] == [field]


def test_a_whole_year_is_allowed(staff):
    assert staff.client.get(URL, {"from": "2024-01-01", "to": "2024-12-31"}).status_code == 200  # 366 days


def test_the_report_needs_view_orders(customer_a, staff_without_permissions, warehouse, anonymous):
    query = {"from": "2026-01-01", "to": "2026-01-01"}
    assert anonymous.client.get(URL, query).status_code == 401
    assert customer_a.client.get(URL, query).status_code == 403
    assert staff_without_permissions.client.get(URL, query).status_code == 403
    assert warehouse.client.get(URL, query).status_code == 200
