"""In a real browser: the projections console of a partitioned subscriber is usable and accessible."""
from __future__ import annotations

import pytest

from eventlog import connections
from eventlog.subscriptions import keys
from tests.e2e.accessibility import CONTEXT_OPTIONS

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_the_console_lists_each_partition_accessibly(browser, live_server, django_user_model, redis_client,
                                                     assert_accessible):
    from playwright.sync_api import expect

    django_user_model.objects.create_superuser("opal", "opal@example.com", "opal-password-1")
    head = connections.event_store().head_position()
    redis_client.set(keys.partition_count("orders"), 4)
    for index in range(4):
        redis_client.set(keys.checkpoint(f"{{orders.p{index}of4}}", 1), head)
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, **CONTEXT_OPTIONS)
    page = context.new_page()
    page.goto(f"{live_server.url}/admin/login/?next=/admin/projections/subscribers/")
    page.fill("#id_username", "opal")
    page.fill("#id_password", "opal-password-1")
    page.click("input[type=submit]")

    expect(page.locator("#part-orders-3")).to_contain_text("partition 3 of 4")
    expect(page.locator("#sub-orders")).to_contain_text("4 partitions")
    assert_accessible(page, what="projections console with partitions")
    context.close()
