"""The admin index is the staff dashboard: figures from the read models after real orders, panels by permission."""
from __future__ import annotations

import copy
import re
from datetime import UTC, datetime
from decimal import Decimal

from django.urls import reverse

from config.devstack.local_services import free_port
from eventlog import connections
from eventlog.store import EventStore
from eventlog.subscriptions.subscribers import all_subscribers
from orders import roles
from orders.domain.commands import PayOrder
from orders.domain.values import Actor
from orders.handlers import dispatch
from orders.models import Product
from tests.web.conftest import place, project


def _section(page: str, panel: str) -> str:
    return page.split(f'id="panel-{panel}"')[1].split("</section>")[0]


def test_the_dashboard_shows_todays_orders_revenue_statuses_products_and_low_stock(staff_client, customer_a,
                                                                                   stocked):
    mug, cap = stocked("Mug", price="12.50", quantity=10), stocked("Cap", price="4.00", quantity=3)
    paid = place(customer_a, (mug, 2), (cap, 1))
    place(customer_a, (mug, 1))
    project()  # fulfillment confirms both
    dispatch(PayOrder(order_id=paid, amount=Decimal("29.00"), payment_reference="P-1"),
             actor=Actor.customer(str(customer_a.pk)))
    project()
    today = datetime.now(UTC).date().isoformat()

    response = staff_client.get(reverse("admin:index"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "<title>Dashboard | ordersys</title>" in page and "ordersys back office" in page
    assert "Django administration" not in page
    assert "UTC calendar days" in page
    today_row = re.search(r'<tr data-period="1" data-currency="EUR">(.*?)</tr>', page, re.S).group(1)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", today_row)
    assert cells == ["EUR", "2", "1", "29.00 EUR", "0.00 EUR", "29.00 EUR"]
    # The charts: today's bar holds both orders, today's point the day's revenue; the table says the same.
    assert f'data-day="{today}" data-value="2"><title>{today}: 2 orders</title></rect>' in page
    assert re.search(rf'<circle [^>]*data-day="{today}" data-value="29"><title>{today}: 29.00 EUR</title>', page)
    assert 'aria-labelledby="chart-orders-title chart-orders-desc"' in page
    assert re.search(rf'<tr data-day="{today}"><th scope="row">{today}</th><td>2</td><td>1</td>', page)
    statuses = _section(page, "statuses")
    assert re.search(r'<tr data-status="PAID"><th scope="row"><a href="/admin/orders/order/\?status=PAID">Paid</a>'
                     r"</th><td>1</td>", statuses)
    assert re.search(r'data-status="CONFIRMED">.*?<td>1</td>', statuses)
    top = _section(page, "top-products")
    assert top.index(mug) < top.index(cap) and "<td>2</td>" in top and "<td>1</td>" in top
    low = _section(page, "low-stock")  # cap: 3 received, 1 reserved -> 2 available
    stock_url = reverse("admin:orders_product_stock", args=[Product.objects.get(sku=cap).pk])
    assert f'data-sku="{cap}"' in low and f'href="{stock_url}"' in low and mug not in low
    health = _section(page, "health")
    assert 'data-subscriber="sales"' in health and reverse("admin:es_projections") in health
    # The app list is still there, below the panels.
    assert page.index('id="panel-health"') < page.index("Applications") < page.index('href="/admin/orders/order/"')


def test_an_empty_shop_draws_flat_charts_and_says_there_is_nothing(staff_client):
    page = staff_client.get(reverse("admin:index")).content.decode()

    assert 'data-period="1"><th scope="row">Today</th><td colspan="6">No orders</td>' in page
    assert page.count("<rect ") == 30 and 'data-value="1"' not in page
    assert "No paid orders in this period." in page


def test_a_role_sees_only_its_panels(role_client):
    page = role_client(roles.WAREHOUSE).get(reverse("admin:index")).content.decode()
    panels = set(re.findall(r'id="(panel-[a-z-]+)"', page))
    assert {"panel-sales", "panel-charts", "panel-statuses", "panel-low-stock"} <= panels
    assert 'id="panel-health"' not in page

    nobody = role_client(None).get(reverse("admin:index")).content.decode()
    assert "panel-" not in nobody and "Applications" in nobody


def test_a_redis_outage_leaves_the_dashboard_up_with_each_panel_saying_so(staff_client, settings):
    caches = copy.deepcopy(settings.CACHES)
    caches["default"]["LOCATION"] = f"redis://127.0.0.1:{free_port()}/0"
    settings.CACHES = caches  # django drops its cache connections when this setting changes

    response = staff_client.get(reverse("admin:index"))

    page = response.content.decode()
    assert response.status_code == 200
    assert page.count("cannot be read right now") == 4  # sales, statuses, low stock, read side
    assert "Applications" in page


def test_with_the_event_store_down_the_figures_and_lag_still_show(staff_client, customer_a, stocked):
    place(customer_a, (stocked(), 1))
    project()
    store = EventStore(f"esdb://127.0.0.1:{free_port()}?Tls=false")

    with connections.use(store=store):
        page = staff_client.get(reverse("admin:index")).content.decode()
    store.close()

    today = r'<tr data-period="1" data-currency="EUR">\s*<th scope="row">Today</th><td>EUR</td><td>1</td>'
    assert re.search(today, page)
    health = _section(page, "health")  # lag comes from Redis: checkpoints against the published appends
    assert "unknown" not in health
    for candidate in all_subscribers():
        assert f'data-subscriber="{candidate.spec.name}"' in health
