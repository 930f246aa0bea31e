"""Operators see each read model's version, and one whose code moved on, in the console and in status."""
from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from eventlog.subscriptions import keys

CONSOLE = "/admin/projections/subscribers/"


@pytest.fixture
def sales_built_by_version_0(redis_client):
    """The sales read model as an older deploy (version 0) left it; put back afterwards."""
    key = keys.built_version("sales")
    before = redis_client.get(key)
    redis_client.set(key, 0)
    yield
    if before is None:
        redis_client.delete(key)
    else:
        redis_client.set(key, before)


def test_the_console_and_status_show_versions_and_an_outdated_read_model(staff_client, redis_client,
                                                                         sales_built_by_version_0):
    page = staff_client.get(CONSOLE).content.decode()
    assert page.count("code is v1: rebuild due") == 1  # sales only
    assert "<th>Version</th>" in page and ">v1<" in page.replace("</td>", "<")

    out = io.StringIO()
    call_command("projections", "status", stdout=out)
    rows = {line.split()[0]: line for line in out.getvalue().splitlines()[1:] if line and not line.startswith(" ")}
    assert rows["sales"].endswith("v0 (code v1: rebuild-outdated)")
    assert rows["orders"].endswith("v1")
