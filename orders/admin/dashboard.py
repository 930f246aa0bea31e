"""The admin index as the staff dashboard: each panel only for viewers holding its permission (orders/roles.py).

Sales, charts, orders by status and top products need view_orders; low stock needs manage_stock;
read-side health needs operate_projections. A panel whose read model cannot be read (Redis down)
says so instead of failing the page.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from orders import dashboard, roles
from orders.admin import charts
from projections.ops import is_unavailable

log = logging.getLogger(__name__)
T = TypeVar("T")
UNAVAILABLE = "The read models cannot be read right now (Redis is unreachable); this panel will be back with it."


def context(user: Any) -> dict[str, Any]:
    """The dashboard's panels the user may see (absent keys: panels they may not see)."""
    found: dict[str, Any] = {"dashboard": True, "panel_errors": {}}
    if roles.may(user, roles.VIEW_ORDERS):
        sales = _panel(found, "sales", dashboard.sales)
        if sales is not None:
            found["sales"] = sales
            found["charts"] = _charts(sales)
        statuses = _panel(found, "statuses", dashboard.orders_by_status)
        if statuses is not None:
            url = reverse("admin:es_order_list")
            found["statuses"] = [(status, count, f"{url}?status={status.value}") for status, count in statuses]
    if roles.may(user, roles.MANAGE_STOCK):
        low = _panel(found, "low_stock", dashboard.low_stock)
        if low is not None:
            found["low_stock"] = [(row, None if row.product_id is None else
                                   reverse("admin:orders_product_stock", args=[row.product_id])) for row in low]
    if roles.may(user, roles.OPERATE_PROJECTIONS):
        health = _panel(found, "health", dashboard.read_side_health)
        if health is not None:
            found["health"] = health
    return found


def _panel(found: dict[str, Any], name: str, read: Callable[[], T]) -> T | None:
    try:
        return read()
    except Exception as error:
        if not is_unavailable(error):
            raise
        log.warning("dashboard panel %s unavailable: %s", name, error)
        found["panel_errors"][name] = UNAVAILABLE
        return None


@dataclass(frozen=True, slots=True)
class Chart:
    """A chart's visible caption and its SVG."""

    caption: str
    svg: SafeString


def _charts(sales: dashboard.Sales) -> list[Chart]:
    """Orders per day, then revenue per day for each currency with figures (amounts never mix currencies)."""
    report = sales.report
    span = f"{report.start.isoformat()} to {report.end.isoformat()} (UTC days)"
    orders = [charts.Point(day.day.isoformat(), _short(day.day), Decimal(day.orders_created),
                           f"{day.day.isoformat()}: {day.orders_created} order{'s' if day.orders_created != 1 else ''}")
              for day in report.days]
    busiest = max(report.days, key=lambda day: day.orders_created)
    result = [("Orders placed per day", charts.bar_chart(
        orders, chart_id="chart-orders", title=f"Orders placed per day, last {len(report.days)} days",
        description=f"{span}: {report.orders_created} orders in all; most on {busiest.day.isoformat()} "
                    f"({busiest.orders_created}).")
    )]
    for totals in report.totals:
        currency = totals.currency
        zero = Decimal("0.00")
        points = [charts.Point(day.day.isoformat(), _short(day.day), day.revenue.get(currency, zero),
                               f"{day.day.isoformat()}: {day.revenue.get(currency, zero)} {currency}")
                  for day in report.days]
        result.append((f"Revenue per day in {currency} (paid; refunds are in the table)", charts.line_chart(
            points, chart_id=f"chart-revenue-{currency.lower()}",
            title=f"Revenue per day in {currency}, last {len(report.days)} days",
            description=f"{span}: {totals.revenue} {currency} paid in all, {totals.refunds} {currency} refunded.")))
    # mark_safe: the SVG is built by orders.admin.charts, which escapes every text it writes.
    return [Chart(caption, mark_safe(svg)) for caption, svg in result]  # noqa: S308


def _short(day: Any) -> str:
    return f"{day.day} {day:%b}"
