"""The pages that say no, in a real browser: too much data (413), a bad parameter (400) and a locked-out
login (429) tell a person what happened, meet WCAG 2.1 AA (axe-core) and are not a server error."""
from __future__ import annotations

import pytest

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
WAIT_MS = 15_000


def _log_in(page, url: str, username: str, password: str) -> None:
    page.goto(f"{url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("main button[type=submit], main input[type=submit]")


def test_error_pages_explain_themselves_and_are_accessible(browser, live_server, django_user_model, settings,
                                                          assert_accessible):
    django_user_model.objects.create_user("erin", "erin@example.com", "erin-password-1")
    django_user_model.objects.create_user("root", "root@example.com", "root-password-1", is_staff=True,
                                          is_superuser=True)
    url = live_server.url
    page = browser.new_context(bypass_csp=True).new_page()
    page.set_default_timeout(WAIT_MS)

    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 64  # the login form's own fields are more than that
    _log_in(page, url, "erin", "erin-password-1")
    assert "Too much data" in page.content()
    assert_accessible(page, what="413 page")
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

    _log_in(page, url, "root", "root-password-1")
    response = page.goto(f"{url}/admin/eventlog/stream/order-x/?from=-5")
    assert response.status == 400 and "from" in page.content()
    assert_accessible(page, what="400 page in the admin")
    page.context.clear_cookies()

    for _ in range(settings.AXES_FAILURE_LIMIT):
        _log_in(page, url, "erin", "not-her-password")
    _log_in(page, url, "erin", "erin-password-1")  # the right password does not help while locked
    assert "locked" in page.content().lower()
    assert_accessible(page, what="lockout page")
