"""No 500 from input on the API: bodies over the size limit on every POST, orders for customers who do not exist."""
from __future__ import annotations

import json
import re
from urllib.parse import urlencode
from uuid import uuid4

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from tests.api.conftest import SHIPPING_ADDRESS, problem

LIMIT = 1000
PATH_VALUES = {"order_id": str(uuid4()), "sku": "MUG", "name": "orders"}


def _post_paths() -> list[str]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    paths = [path for path, operations in schema["paths"].items() if "post" in operations]
    return [re.sub(r"\{(\w+)\}", lambda m: PATH_VALUES[m.group(1)], path) for path in paths]


@pytest.fixture
def small_uploads(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = LIMIT


def test_every_api_post_answers_413_problem_json_to_a_body_over_the_limit(small_uploads, staff, anonymous):
    paths = _post_paths()
    assert "/api/auth/token/" in paths and "/api/orders/" in paths and len(paths) >= 10
    body = json.dumps({"lines": [{"sku": "MUG", "quantity": 1}], "note": "x" * (LIMIT * 2)})
    for caller in (staff, anonymous):
        for path in paths:
            for headers in ({}, {"HTTP_IDEMPOTENCY_KEY": str(uuid4())}):
                response = caller.client.post(path, body, content_type="application/json", **headers)
                assert response.status_code == 413, (caller.name, path, response.status_code)
                assert response["Content-Type"] == "application/problem+json"
                assert response.json()["type"] == "urn:ordersys:problem:payload-too-large"
                assert str(LIMIT) in response.json()["detail"]


def test_a_form_encoded_token_request_over_the_limit_is_413(small_uploads):
    body = urlencode({"username": "x" * (LIMIT * 2), "password": "y"})
    response = APIClient().post("/api/auth/token/", body, content_type="application/x-www-form-urlencoded")

    assert problem(response, 413)["title"] == "Payload too large"


def test_a_body_under_the_limit_still_goes_through(small_uploads, customer_a):
    response = APIClient().post("/api/auth/token/", {"username": customer_a.user.username, "password": "wrong"},
                                format="json")
    assert response.status_code == 400


def test_a_staff_order_for_a_customer_id_that_is_no_user_is_400(staff, customer_a, catalogue):
    lines = [{"sku": catalogue.mug, "quantity": 1}]
    for customer_id in ("999999999", "not-a-user", "١٢"):
        response = staff.client.post("/api/orders/", {"lines": lines, "customer_id": customer_id,
                                                      "shipping_address": SHIPPING_ADDRESS}, format="json")

        body = problem(response, 400)
        assert body["errors"] == [{"field": "customer_id", "detail": f"no user has the id {customer_id!r}"}]
    ok = staff.client.post("/api/orders/", {"lines": lines, "customer_id": str(customer_a.user.pk),
                                            "shipping_address": SHIPPING_ADDRESS}, format="json")
    assert ok.status_code == 201
