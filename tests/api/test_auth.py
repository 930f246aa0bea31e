"""Tokens (get, use, expire, revoke one or all, stored hashed), session authentication with CSRF, and
throttled logins and order creation (per client IP under the trusted-proxy rule)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from knox.models import AuthToken
from rest_framework.test import APIClient

from tests.api.conftest import PASSWORD, SHIPPING_ADDRESS, post_order, problem

pytestmark = pytest.mark.django_db


def test_a_token_for_username_and_password_works_until_revoked(customer_a):
    client = APIClient()
    response = client.post("/api/auth/token/", {"username": customer_a.user.username, "password": PASSWORD},
                           format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["token"] != customer_a.token and body["user"]["is_staff"] is False

    client.credentials(HTTP_AUTHORIZATION=f"Token {body['token']}")
    assert client.get("/api/orders/").status_code == 200
    assert client.delete("/api/auth/token/").status_code == 204
    response = client.get("/api/orders/")
    problem(response, 401)
    assert response["WWW-Authenticate"] == "Token"
    assert customer_a.client.get("/api/orders/").status_code == 200  # only the token sent was revoked


def test_only_a_hash_of_a_token_is_stored(customer_a):
    [stored] = AuthToken.objects.filter(user=customer_a.user)
    columns = [str(value) for value in AuthToken.objects.filter(pk=stored.pk).values_list().get()]
    assert customer_a.token not in columns
    assert customer_a.token.startswith(stored.token_key) and len(stored.token_key) < len(customer_a.token)


def test_tokens_expire_after_the_configured_ttl(settings, customer_a):
    settings.REST_KNOX = {**settings.REST_KNOX, "TOKEN_TTL": timedelta(hours=2)}
    response = APIClient().post("/api/auth/token/", {"username": customer_a.user.username, "password": PASSWORD},
                                format="json")
    expiry = parse_datetime(response.json()["expiry"])
    assert abs(expiry - (timezone.now() + timedelta(hours=2))) < timedelta(minutes=1)

    AuthToken.objects.filter(user=customer_a.user).update(expiry=timezone.now() - timedelta(seconds=1))
    problem(customer_a.client.get("/api/orders/"), 401)


def test_a_user_revokes_all_of_their_tokens(customer_a, customer_b):
    other_client = APIClient()
    token = other_client.post("/api/auth/token/", {"username": customer_a.user.username, "password": PASSWORD},
                              format="json").json()["token"]
    other_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert other_client.get("/api/orders/").status_code == 200

    assert customer_a.client.delete("/api/auth/tokens/").status_code == 204

    problem(customer_a.client.get("/api/orders/"), 401)
    problem(other_client.get("/api/orders/"), 401)
    assert not AuthToken.objects.filter(user=customer_a.user).exists()
    assert customer_b.client.get("/api/orders/").status_code == 200  # nobody else's
    problem(APIClient().delete("/api/auth/tokens/"), 401)


def test_wrong_credentials_and_missing_fields_are_400(customer_a):
    client = APIClient()
    problem(client.post("/api/auth/token/", {"username": customer_a.user.username, "password": "nope"},
                        format="json"), 400)
    body = problem(client.post("/api/auth/token/", {"username": "x"}, format="json"), 400)
    assert "password" in [e["field"] for e in body["errors"]]


def test_a_stale_token_does_not_stop_a_login(customer_a):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    response = client.post("/api/auth/token/", {"username": customer_a.user.username, "password": PASSWORD},
                           format="json")
    assert response.status_code == 200


def test_anonymous_requests_are_401_with_a_token_challenge():
    response = APIClient().get("/api/orders/")
    assert problem(response, 401)["type"].endswith("not-authenticated")
    assert response["WWW-Authenticate"] == "Token"


def test_session_authentication_needs_csrf_for_unsafe_methods(customer_a, catalogue):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(customer_a.user)

    assert client.get("/api/orders/").status_code == 200
    order = {"lines": [{"sku": catalogue.mug, "quantity": 1}], "shipping_address": SHIPPING_ADDRESS}
    refused = client.post("/api/orders/", order, format="json")
    assert "CSRF" in problem(refused, 403)["detail"]

    client.get("/api/orders/")  # any page sets the cookie in real life; here we ask Django for one
    from django.middleware.csrf import _get_new_csrf_string

    token = _get_new_csrf_string()
    client.cookies["csrftoken"] = token
    accepted = client.post("/api/orders/", order, format="json",
                           HTTP_X_CSRFTOKEN=token)
    assert accepted.status_code == 201, accepted.content


def test_order_creation_is_throttled_per_user(settings, customer_a, customer_b, catalogue):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {
        "order_create": "2/min", "login": "100/min"}}

    statuses = [post_order(customer_a, (catalogue.mug, 1)).status_code for _ in range(3)]
    other = post_order(customer_b, (catalogue.mug, 1))

    assert statuses == [201, 201, 429]
    throttled = post_order(customer_a, (catalogue.mug, 1))
    assert problem(throttled, 429)["type"].endswith("throttled") and int(throttled["Retry-After"]) > 0
    assert other.status_code == 201
    assert customer_a.client.get("/api/orders/").status_code == 200  # reads are not throttled


def test_logins_are_throttled_per_ip_and_username(settings, customer_a):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {
        "order_create": "100/min", "login": "3/min"}}
    client = APIClient()
    bodies = [{"username": customer_a.user.username, "password": f"guess{n}"} for n in range(4)]

    statuses = [client.post("/api/auth/token/", body, format="json").status_code for body in bodies]
    from_elsewhere = APIClient(REMOTE_ADDR="10.9.8.7").post("/api/auth/token/", bodies[0], format="json")

    assert statuses == [400, 400, 400, 429]
    assert from_elsewhere.status_code == 429  # the username is throttled from every address


def test_a_forged_x_forwarded_for_does_not_dodge_the_ip_throttle(settings, customer_a):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {
        "order_create": "100/min", "login": "3/min"}}
    client = APIClient()
    statuses = [client.post("/api/auth/token/", {"username": f"nobody-{n}", "password": "guess"}, format="json",
                            HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code for n in range(4)]
    assert statuses == [400, 400, 400, 429]


def test_behind_a_trusted_proxy_the_address_it_saw_is_throttled(settings, customer_a):
    settings.NUM_PROXIES = 1
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {
        "order_create": "100/min", "login": "3/min"}}
    client = APIClient()

    def attempt(n: int, forwarded: str) -> int:
        return client.post("/api/auth/token/", {"username": f"nobody-{n}", "password": "guess"}, format="json",
                           HTTP_X_FORWARDED_FOR=forwarded).status_code

    # The client forges a first entry; our one proxy appends the address it saw (the last entry).
    assert [attempt(n, f"10.0.0.{n}, 198.51.100.7") for n in range(4)] == [400, 400, 400, 429]
    assert attempt(9, "198.51.100.8") == 400  # another client behind the same proxy


def test_throttles_can_be_switched_off(settings, customer_a, catalogue):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {
        "order_create": "off", "login": "off"}}
    assert all(post_order(customer_a, (catalogue.mug, 1)).status_code == 201 for _ in range(3))


def test_staff_see_token_prefixes_and_revoke_tokens_in_the_admin(client, customer_a, unique):
    from django.contrib.auth import get_user_model

    admin_user = get_user_model().objects.create_superuser(username=f"root-{unique}", password=PASSWORD)
    client.force_login(admin_user)
    [stored] = AuthToken.objects.filter(user=customer_a.user)

    listing = client.get("/admin/knox/authtoken/").content.decode()
    deleted = client.post("/admin/knox/authtoken/", {"action": "delete_selected", "_selected_action": [stored.pk],
                                                     "post": "yes"})

    assert customer_a.user.username in listing and customer_a.token[:8] in listing
    assert customer_a.token not in listing and customer_a.token[:16] not in listing
    assert client.get("/admin/knox/authtoken/add/").status_code == 403  # tokens come from logging in
    assert deleted.status_code == 302 and not AuthToken.objects.filter(user=customer_a.user).exists()
    problem(customer_a.client.get("/api/orders/"), 401)
