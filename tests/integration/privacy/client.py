"""The product over HTTP as a browser (forms with their CSRF token) and as an API client, for the privacy tests."""
from __future__ import annotations

import re
from typing import Any

import requests

from tests.faults.stack import HTTP_TIMEOUT, PASSWORD, Stack, wait_until

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def csrf_of(session: requests.Session, url: str) -> str:
    """The CSRF token of the form on a page."""
    page = session.get(url, timeout=HTTP_TIMEOUT)
    assert page.status_code == 200, (url, page.status_code, page.text[:500])
    found = CSRF.search(page.text)
    assert found, f"no form on {url}"
    return found.group(1)


def post_form(session: requests.Session, stack: Stack, path: str, data: dict[str, str], *,
              form_page: str | None = None) -> requests.Response:
    """Submit a form as a browser does: the token from the page showing it, no redirect followed."""
    token = csrf_of(session, stack.url(form_page or path))
    return session.post(stack.url(path), data={**data, "csrfmiddlewaretoken": token}, timeout=HTTP_TIMEOUT,
                        allow_redirects=False, headers={"Referer": stack.url(form_page or path)})


def sign_up(stack: Stack, username: str, email: str, password: str) -> requests.Session:
    """A new customer account through the sign-up page; the session is signed in."""
    session = stack.client()
    done = post_form(session, stack, "/accounts/signup/", {"username": username, "email": email,
                                                            "password1": password, "password2": password})
    assert done.status_code == 302, done.text[:1000]
    return session


def admin_login(stack: Stack, username: str) -> requests.Session:
    """A browser session signed in to the admin."""
    session = stack.client()
    done = post_form(session, stack, "/admin/login/", {"username": username, "password": PASSWORD,
                                                        "next": "/admin/"})
    assert done.status_code == 302, done.text[:1000]
    return session


def api_token(stack: Stack, username: str, password: str) -> str:
    response = stack.client().post(stack.url("/api/auth/token/"), json={"username": username, "password": password},
                                   timeout=HTTP_TIMEOUT)
    assert response.status_code == 200, response.text
    return response.json()["token"]


def api_post(session: requests.Session, stack: Stack, path: str, body: dict[str, Any], *,
             status: int = 200, **headers: str) -> dict[str, Any]:
    response = session.post(stack.url(path), json=body, timeout=HTTP_TIMEOUT, headers=headers)
    assert response.status_code == status, (path, response.status_code, response.text[:1000])
    return response.json()


def order_body(session: requests.Session, stack: Stack, order_id: str) -> dict[str, Any]:
    """An order as the API shows it, once the read model has it."""
    def read() -> dict[str, Any] | None:
        response = session.get(stack.url(f"/api/orders/{order_id}/"), timeout=HTTP_TIMEOUT)
        assert response.status_code in (200, 404), response.text
        return response.json() if response.status_code == 200 else None

    return wait_until(read, timeout=30, what=f"order {order_id} in the read model")


def wait_for_status(session: requests.Session, stack: Stack, order_id: str, status: str) -> dict[str, Any]:
    return wait_until(lambda: (body := order_body(session, stack, order_id)) and body["status"] == status and body,
                      timeout=60, what=f"order {order_id} to be {status}")
