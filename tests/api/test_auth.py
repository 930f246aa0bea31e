"""Tokens (get, use, revoke), session authentication with CSRF, and throttled logins and order creation."""
from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.api.conftest import PASSWORD, place, problem

pytestmark = pytest.mark.django_db


def test_a_token_for_username_and_password_works_until_revoked(customer_a):
    client = APIClient()
    response = client.post("/api/auth/token/", {"username": customer_a.user.username, "password": PASSWORD},
                           format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["token"] == customer_a.token and body["user"]["is_staff"] is False

    client.credentials(HTTP_AUTHORIZATION=f"Token {body['token']}")
    assert client.get("/api/orders/").status_code == 200
    assert client.delete("/api/auth/token/").status_code == 204
    assert not Token.objects.filter(user=customer_a.user).exists()
    response = client.get("/api/orders/")
    problem(response, 401)
    assert response["WWW-Authenticate"] == "Token"


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
    assert client.login(username=customer_a.user.username, password=PASSWORD)

    assert client.get("/api/orders/").status_code == 200
    refused = client.post("/api/orders/", {"lines": [{"sku": catalogue.mug, "quantity": 1}]}, format="json")
    assert "CSRF" in problem(refused, 403)["detail"]

    client.get("/api/orders/")  # any page sets the cookie in real life; here we ask Django for one
    from django.middleware.csrf import _get_new_csrf_string

    token = _get_new_csrf_string()
    client.cookies["csrftoken"] = token
    accepted = client.post("/api/orders/", {"lines": [{"sku": catalogue.mug, "quantity": 1}]}, format="json",
                           HTTP_X_CSRFTOKEN=token)
    assert accepted.status_code == 201, accepted.content


def test_order_creation_is_throttled_per_user(settings, customer_a, customer_b, catalogue):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {
        "order_create": "2/min", "login": "100/min"}}

    statuses = [place(customer_a, (catalogue.mug, 1)).status_code for _ in range(3)]
    other = place(customer_b, (catalogue.mug, 1))

    assert statuses == [201, 201, 429]
    throttled = place(customer_a, (catalogue.mug, 1))
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


def test_throttles_can_be_switched_off(settings, customer_a, catalogue):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {
        "order_create": "off", "login": "off"}}
    assert all(place(customer_a, (catalogue.mug, 1)).status_code == 201 for _ in range(3))


def test_staff_revoke_tokens_in_the_admin(client, customer_a, unique):
    from django.contrib.auth import get_user_model

    admin_user = get_user_model().objects.create_superuser(username=f"root-{unique}", password=PASSWORD)
    client.force_login(admin_user)

    listing = client.get("/admin/authtoken/tokenproxy/")
    deleted = client.post(f"/admin/authtoken/tokenproxy/{customer_a.user.pk}/delete/", {"post": "yes"})

    assert listing.status_code == 200 and customer_a.user.username in listing.content.decode()
    assert deleted.status_code == 302 and not Token.objects.filter(user=customer_a.user).exists()
    problem(customer_a.client.get("/api/orders/"), 401)
