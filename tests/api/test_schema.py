"""The OpenAPI schema: valid, served with Swagger UI (offline assets), and fuzzed with schemathesis.

Schemathesis runs every operation against the WSGI app in-process (examples, coverage and fuzzing
phases, positive and negative data, a bounded number of examples): no 500s, and every response -
status, headers, content type and body - must match the schema.
"""
from __future__ import annotations

import io
from decimal import Decimal

import pytest
import schemathesis
from django.core.management import call_command
from hypothesis import HealthCheck, settings
from knox.models import AuthToken

from orders.domain.commands import ReceiveStock
from orders.domain.values import Actor
from orders.handlers import dispatch
from orders.models import Product
from orders.roles import OPERATIONS
from tests.conftest import make_staff

MAX_EXAMPLES = 6


def test_the_schema_validates_without_warnings():
    out = io.StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", "--format", "openapi-json", stdout=out)
    assert '"/api/orders/{order_id}/pay/"' in out.getvalue()


@pytest.mark.django_db
def test_swagger_ui_is_served_from_local_assets(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "drf_spectacular_sidecar/swagger-ui-dist" in html and "cdn.jsdelivr" not in html
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200 and schema.json()["openapi"].startswith("3.")


@pytest.fixture
def fuzzing_user(db, unique, redis_client):
    user = make_staff(f"fuzz-{unique}", role=OPERATIONS)
    if not Product.objects.filter(sku="MUG-BLUE").exists():
        Product.objects.create(sku="MUG-BLUE", name="Blue mug", unit_price=Decimal("12.50"))
    dispatch(ReceiveStock(sku="MUG-BLUE", quantity=1000), actor=Actor.staff("0"))
    return user


@pytest.fixture(autouse=True)
def _fast_and_unthrottled(settings, monkeypatch) -> None:
    # Fuzzed min_positions are mostly far ahead of the store: do not wait a second for each.
    monkeypatch.setattr("orders.api.http.READ_YOUR_WRITES_TIMEOUT", 0.01)
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                               "DEFAULT_THROTTLE_RATES": {"order_create": "off", "login": "off"}}


def _load_schema() -> schemathesis.BaseSchema:
    from config.wsgi import application

    loaded = schemathesis.openapi.from_wsgi("/api/schema/", application)
    loaded.config.generation.update(max_examples=MAX_EXAMPLES)
    return loaded


schema = _load_schema()


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_conforms_to_the_schema(case, fuzzing_user):
    _, token = AuthToken.objects.create(user=fuzzing_user)  # a fresh one: a case may have revoked them all
    # Schema-valid requests may still be refused (wrong password, unknown sku, order not in that state),
    # so "positive data acceptance" does not apply; everything else does.
    case.call_and_validate(headers={"Authorization": f"Token {token}"},
                           excluded_checks=[schemathesis.checks.positive_data_acceptance])
