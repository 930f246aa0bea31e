"""Every endpoint as anonymous, customer A (who owns the order), customer B and staff.

A customer never reads, lists or acts on another customer's order (404, not 403); staff-only
endpoints refuse customers with 403; the anonymous get 401 everywhere except the catalogue and
the schema. Requests that would change the order use bodies the domain refuses (409) or a stale
If-Match (412), so every caller meets the same order.
"""
from __future__ import annotations

import pytest

from tests.api.conftest import place

pytestmark = pytest.mark.django_db

ANON, A, B, STAFF = "anonymous", "customer_a", "customer_b", "staff"

# (method, path template, body, headers, {caller: expected status})
MATRIX = [
    ("get", "/api/products/", None, {}, {ANON: 200, A: 200, B: 200, STAFF: 200}),
    ("get", "/api/schema/", None, {}, {ANON: 200, A: 200, B: 200, STAFF: 200}),
    ("get", "/api/orders/", None, {}, {ANON: 401, A: 200, B: 200, STAFF: 200}),
    ("post", "/api/orders/", {"lines": [{"sku": "{sku}", "quantity": 1}]}, {},
     {ANON: 401, A: 201, B: 201, STAFF: 201}),
    ("get", "/api/orders/{order}/", None, {}, {ANON: 401, A: 200, B: 404, STAFF: 200}),
    ("get", "/api/orders/{order}/events/", None, {}, {ANON: 401, A: 200, B: 404, STAFF: 200}),
    ("post", "/api/orders/{order}/pay/", {"amount": "1.00", "payment_reference": "P"}, {},
     {ANON: 401, A: 409, B: 404, STAFF: 409}),
    ("post", "/api/orders/{order}/cancel/", {"reason": "r"}, {"HTTP_IF_MATCH": '"99"'},
     {ANON: 401, A: 412, B: 404, STAFF: 412}),
    ("post", "/api/orders/{order}/ship/", {"carrier": "c", "tracking_number": "t"}, {},
     {ANON: 401, A: 403, B: 403, STAFF: 409}),
    ("post", "/api/orders/{order}/deliver/", {}, {}, {ANON: 401, A: 403, B: 403, STAFF: 409}),
    ("post", "/api/orders/{order}/notes/", {"text": "hello"}, {}, {ANON: 401, A: 403, B: 403, STAFF: 200}),
    ("get", "/api/streams/order-{order}/events/", None, {}, {ANON: 401, A: 403, B: 403, STAFF: 200}),
    ("get", "/api/inventory/", None, {}, {ANON: 401, A: 403, B: 403, STAFF: 200}),
    ("get", "/api/inventory/{sku}/", None, {}, {ANON: 401, A: 403, B: 403, STAFF: 200}),
    ("post", "/api/inventory/{sku}/receive/", {"quantity": 1}, {}, {ANON: 401, A: 403, B: 403, STAFF: 200}),
    ("post", "/api/inventory/{sku}/adjust/", {"delta": 1, "reason": "count"}, {},
     {ANON: 401, A: 403, B: 403, STAFF: 200}),
    ("get", "/api/projections/", None, {}, {ANON: 401, A: 403, B: 403, STAFF: 200}),
    ("get", "/api/projections/orders/dead-letters/", None, {}, {ANON: 401, A: 403, B: 403, STAFF: 200}),
    ("post", "/api/projections/orders/dead-letters/retry/", {"event_ids": ["x"]}, {},
     {ANON: 401, A: 403, B: 403, STAFF: 200}),
    ("post", "/api/projections/orders/dead-letters/discard/", {"event_ids": ["x"]}, {},
     {ANON: 401, A: 403, B: 403, STAFF: 200}),
    ("delete", "/api/auth/token/", None, {}, {ANON: 401, A: 204, B: 204, STAFF: 204}),
]


def _fill(value, **names):
    if isinstance(value, str):
        return value.format(**names)
    if isinstance(value, dict):
        return {k: _fill(v, **names) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, **names) for v in value]
    return value


@pytest.mark.parametrize("method, path, body, headers, expected", MATRIX,
                         ids=[f"{m.upper()} {p}" for m, p, *_ in MATRIX])
def test_authorization(callers, customer_a, catalogue, catch_up, method, path, body, headers, expected):
    order = place(customer_a, (catalogue.mug, 1)).json()["aggregate_id"]
    catch_up()
    url = _fill(path, order=order, sku=catalogue.mug)
    got = {}
    for name in (ANON, A, B, STAFF):
        client = callers[name].client
        kwargs = {"format": "json"} if body is not None else {}
        response = getattr(client, method)(url, _fill(body, sku=catalogue.mug), **kwargs, **headers) \
            if body is not None else getattr(client, method)(url, **headers)
        got[name] = response.status_code
        if response.status_code >= 400:
            assert response["Content-Type"].startswith("application/problem+json"), (name, response.content)
        if method == "get" and path == "/api/orders/" and name in (A, B):
            listed = {o["order_id"] for o in response.json()["items"]}
            assert (order in listed) == (name == A)
    assert got == expected
