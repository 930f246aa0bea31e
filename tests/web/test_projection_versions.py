"""Operators see each read model's version, and one whose code moved on, in the console and in status."""
from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from eventlog.subscriptions import keys
from projections import inventory, sales
from projections import orders as order_summaries

CONSOLE = "/admin/projections/subscribers/"


@pytest.fixture
def sales_built_by_version_0(redis_client):
    """The sales read model as an older deploy (version 0) left it, the others built by this code; put back."""
    built = {"sales": 0, "orders": order_summaries.VERSION, "inventory": inventory.VERSION}
    before = {name: redis_client.get(keys.built_version(name)) for name in built}
    for name, version in built.items():
        redis_client.set(keys.built_version(name), version)
    yield
    for name, value in before.items():
        if value is None:
            redis_client.delete(keys.built_version(name))
        else:
            redis_client.set(keys.built_version(name), value)


def test_the_console_and_status_show_versions_and_an_outdated_read_model(staff_client, redis_client,
                                                                         sales_built_by_version_0):
    page = staff_client.get(CONSOLE).content.decode()
    assert page.count(f"code is v{sales.VERSION}: rebuild due") == 1  # sales only
    assert "<th>Version</th>" in page and f">v{inventory.VERSION}<" in page.replace("</td>", "<")

    out = io.StringIO()
    call_command("projections", "status", stdout=out)
    rows = {line.split()[0]: line for line in out.getvalue().splitlines()[1:] if line and not line.startswith(" ")}
    assert rows["sales"].endswith(f"v0 (code v{sales.VERSION}: rebuild-outdated)")
    assert rows["orders"].endswith(f"v{order_summaries.VERSION}")
