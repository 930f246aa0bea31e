"""API tokens are verified once and then remembered in Redis: no SQL query per request, revocation still immediate.

Every process shares the one Redis entry per token digest; revoking a token (or changing what its
user may do) clears it before the revoking request returns, so the very next request anywhere is
checked against the database again.
"""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from knox.models import AuthToken

from orders.api.authentication import _entry_key
from tests.api.conftest import PASSWORD, post_order, problem

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def _digest(token: str) -> str:
    from knox.crypto import hash_token

    return hash_token(token)


def _cached(redis_client, token: str) -> bool:
    """Whether the shared Redis holds the token's entry, as any other process would see it."""
    return any(key.decode().endswith(_entry_key(_digest(token))) for key in redis_client.scan_iter("*auth:token:*"))


@pytest.fixture
def order_path(customer_a, catalogue, catch_up) -> str:
    created = post_order(customer_a, (catalogue.mug, 1)).json()
    catch_up()
    return created["location"]


def test_an_order_read_with_a_token_asks_the_database_nothing_once_the_token_is_known(customer_a, order_path):
    assert customer_a.client.get(order_path).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        response = customer_a.client.get(order_path)
    assert response.status_code == 200
    assert [query["sql"] for query in queries.captured_queries] == []


def test_a_revoked_token_is_refused_on_the_very_next_request(customer_a, order_path, redis_client):
    assert customer_a.client.get(order_path).status_code == 200
    assert _cached(redis_client, customer_a.token)

    assert customer_a.client.delete("/api/auth/token/").status_code == 204

    assert not _cached(redis_client, customer_a.token)
    problem(customer_a.client.get(order_path), 401)


def test_revoking_all_tokens_or_deleting_one_in_the_admin_refuses_them_at_once(customer_a, order_path):
    from rest_framework.test import APIClient

    second = APIClient()
    token = second.post("/api/auth/token/", {"username": customer_a.user.username, "password": PASSWORD},
                        format="json").json()["token"]
    second.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert second.get(order_path).status_code == 200 and customer_a.client.get(order_path).status_code == 200

    AuthToken.objects.get(digest=_digest(token)).delete()  # what the admin's delete does
    problem(second.get(order_path), 401)
    assert customer_a.client.get(order_path).status_code == 200

    assert customer_a.client.delete("/api/auth/tokens/").status_code == 204
    problem(customer_a.client.get(order_path), 401)


def test_a_deactivated_user_or_a_withdrawn_permission_counts_on_the_next_request(customer_a, staff, order_path):
    assert staff.client.get(order_path).status_code == 200  # staff with orders.view_orders read any order
    staff.user.groups.clear()  # the role taken away
    problem(staff.client.get(order_path), 404)

    assert customer_a.client.get(order_path).status_code == 200
    customer_a.user.is_active = False
    customer_a.user.save()
    problem(customer_a.client.get(order_path), 401)


def test_a_token_cached_by_one_process_is_refused_by_another_once_revoked(customer_a, order_path, redis_client):
    """Another process (its own Django, the same Redis, a database without the token) trusts only the shared entry."""
    assert customer_a.client.get(order_path).status_code == 200
    script = textwrap.dedent("""
        import sys, django
        django.setup()
        from rest_framework.exceptions import AuthenticationFailed
        from orders.api.authentication import CachedTokenAuthentication
        for line in sys.stdin:
            try:
                user, _ = CachedTokenAuthentication().authenticate_credentials(line.strip().encode())
                print("accepted", user.pk, flush=True)
            except AuthenticationFailed:
                print("refused", flush=True)
            except Exception as error:  # no such table: the database knows nothing; only the cache could vouch
                print("refused", type(error).__name__, flush=True)
    """)
    env = {**os.environ, "DATABASE_URL": "sqlite:///:memory:", "ENV_FILE": ""}
    other = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, env=env, text=True,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert other.stdin is not None and other.stdout is not None
        other.stdin.write(customer_a.token + "\n")
        other.stdin.flush()
        assert other.stdout.readline().split() == ["accepted", str(customer_a.user.pk)]

        assert customer_a.client.delete("/api/auth/token/").status_code == 204

        other.stdin.write(customer_a.token + "\n")
        other.stdin.flush()
        assert other.stdout.readline().startswith("refused")
    finally:
        other.kill()
        other.wait(timeout=10)
