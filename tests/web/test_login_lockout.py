"""Repeated wrong passwords lock a username and an address out of every login: the site, the admin and
the API token endpoint; the right password does not help; staff reset it; X-Forwarded-For is only
believed from a trusted proxy (NUM_PROXIES)."""
from __future__ import annotations

from collections.abc import Callable

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.test import Client

PASSWORD = "right-password-1"
LIMIT = 5  # AXES_FAILURE_LIMIT's default


def _site(client: Client, username: str, password: str, **extra: str):
    return client.post("/accounts/login/", {"username": username, "password": password}, **extra)


def _admin(client: Client, username: str, password: str, **extra: str):
    return client.post("/admin/login/?next=/admin/", {"username": username, "password": password,
                                                      "next": "/admin/"}, **extra)


def _api(client: Client, username: str, password: str, **extra: str):
    return client.post("/api/auth/token/", {"username": username, "password": password},
                       content_type="application/json", **extra)


def _logged_in(entry: Callable, response) -> bool:
    return response.status_code == (200 if entry is _api else 302)


ENTRIES = pytest.mark.parametrize("entry", [_site, _admin, _api], ids=["site", "admin", "api"])


@pytest.fixture
def member(django_user_model, unique):
    # Staff, so that the admin login accepts the right password too.
    return django_user_model.objects.create_user(f"lock-{unique}", password=PASSWORD, is_staff=True)


def _fail(entry: Callable, username: str, times: int = LIMIT, **extra: str) -> list[int]:
    return [entry(Client(), username, "wrong-guess", **extra).status_code for _ in range(times)]


@ENTRIES
def test_repeated_wrong_passwords_lock_the_user_out_even_with_the_right_password(entry, member):
    assert _logged_in(entry, entry(Client(), member.username, PASSWORD))
    assert 429 not in _fail(entry, member.username, LIMIT - 1)
    assert _fail(entry, member.username, 1) == [429]  # the LIMIT-th failure locks

    locked = entry(Client(), member.username, PASSWORD)

    assert locked.status_code == 429
    assert int(locked["Retry-After"]) == 15 * 60
    if entry is _api:
        body = locked.json()
        assert locked["Content-Type"].startswith("application/problem+json")
        assert body["type"].endswith("locked-out") and "locked for 15 minutes" in body["detail"]
    else:
        page = locked.content.decode()
        assert "<h1>Too many failed logins</h1>" in page and "locked for 15 minutes" in page
        assert "ask the shop&#x27;s staff" in page or "ask the shop's staff" in page


@ENTRIES
def test_a_locked_address_cannot_try_other_usernames_and_a_locked_username_not_other_addresses(
        entry, member, django_user_model, unique):
    other = django_user_model.objects.create_user(f"other-{unique}", password=PASSWORD, is_staff=True)
    _fail(entry, f"nobody-{unique}", REMOTE_ADDR="192.0.2.10")

    assert entry(Client(), other.username, PASSWORD, REMOTE_ADDR="192.0.2.10").status_code == 429
    assert _logged_in(entry, entry(Client(), other.username, PASSWORD, REMOTE_ADDR="192.0.2.11"))

    _fail(entry, member.username, REMOTE_ADDR="192.0.2.20")
    assert entry(Client(), member.username, PASSWORD, REMOTE_ADDR="192.0.2.21").status_code == 429


def test_a_forged_x_forwarded_for_does_not_change_the_address(member, unique):
    statuses = [_api(Client(), f"nobody-{unique}-{n}", "wrong", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code
                for n in range(LIMIT)]
    assert statuses == [400] * (LIMIT - 1) + [429]  # one address, whatever the header said
    assert _api(Client(), member.username, PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.99").status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"127.0.0.1"}


def test_behind_a_trusted_proxy_the_address_it_forwards_is_the_clients(settings, member, unique):
    settings.NUM_PROXIES = 1
    _fail(_site, f"nobody-{unique}", HTTP_X_FORWARDED_FOR="10.1.1.1, 198.51.100.5")

    assert _site(Client(), member.username, PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.5").status_code == 429
    assert _site(Client(), member.username, PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.6").status_code == 302
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"198.51.100.5"}


def test_axes_reset_unlocks(member):
    _fail(_site, member.username)
    assert _site(Client(), member.username, PASSWORD).status_code == 429

    call_command("axes_reset")

    assert _site(Client(), member.username, PASSWORD).status_code == 302


def test_staff_unlock_a_user_in_the_admin(member, django_user_model, unique):
    _fail(_api, member.username, REMOTE_ADDR="192.0.2.30")
    assert _api(Client(), member.username, PASSWORD, REMOTE_ADDR="192.0.2.31").status_code == 429
    staff = Client()
    staff.force_login(django_user_model.objects.create_superuser(f"root-{unique}", password=PASSWORD))

    listing = staff.get("/admin/axes/accessattempt/").content.decode()
    attempts = list(AccessAttempt.objects.filter(username=member.username).values_list("pk", flat=True))
    deleted = staff.post("/admin/axes/accessattempt/", {"action": "delete_selected",
                                                       "_selected_action": attempts, "post": "yes"})

    assert member.username in listing and deleted.status_code == 302
    assert _api(Client(), member.username, PASSWORD, REMOTE_ADDR="192.0.2.31").status_code == 200
