"""What the staff dashboard shows, panel by panel, from the read models (and the catalogue for names).

No panel reads the event store: sales come from the `sales` read model, order counts by status
from the `orders` read model, low stock from `inventory`, and the read-side health panel compares
each subscriber's checkpoint with the appends the writers publish in Redis.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from orders.domain.values import OrderStatus
from orders.models import Product
from projections import console, reports, selectors
from projections.reports import CurrencyTotals, SalesReport

CHART_DAYS = 30
PERIODS = (("Today", 1), ("Last 7 days", 7), ("Last 30 days", 30))
TOP_PRODUCTS = 5


@dataclass(frozen=True, slots=True)
class Period:
    """Totals per currency over the last `days` days (today included)."""

    label: str
    days: int
    start: date
    end: date
    totals: tuple[CurrencyTotals, ...]
    orders_created: int


@dataclass(frozen=True, slots=True)
class TopProduct:
    """A best-selling sku with its catalogue name (blank if it left the catalogue)."""

    sku: str
    name: str
    units: int


@dataclass(frozen=True, slots=True)
class Sales:
    """The sales panel: periods, the last CHART_DAYS days for the charts, best sellers over those days."""

    today: date
    periods: tuple[Period, ...]
    report: SalesReport
    top_products: tuple[TopProduct, ...]

    @property
    def currencies(self) -> list[str]:
        """Every currency with figures in the chart range."""
        return [totals.currency for totals in self.report.totals]


def sales(*, today: date | None = None) -> Sales:
    """Revenue and orders today / 7 / 30 days per currency, and the days behind the charts (one read)."""
    start, end = reports.last_days(CHART_DAYS, end=today)
    report = reports.sales_report(start, end, top=TOP_PRODUCTS)
    periods = []
    for label, count in PERIODS:
        days = report.days[-count:]
        periods.append(Period(label, count, days[0].day, end, reports.totals_by_currency(days),
                              sum(day.orders_created for day in days)))
    names = dict(Product.objects.filter(sku__in=[p.sku for p in report.top_products]).values_list("sku", "name"))
    top = tuple(TopProduct(p.sku, names.get(p.sku, ""), p.units) for p in report.top_products)
    return Sales(today=end, periods=tuple(periods), report=report, top_products=top)


def orders_by_status() -> list[tuple[OrderStatus, int]]:
    """How many orders are in each status now, in the statuses' own order."""
    return list(selectors.count_orders_by_status().items())


@dataclass(frozen=True, slots=True)
class LowStock:
    """A sku low on stock, with its catalogue row's id for the receive-stock page (None: not in the catalogue)."""

    level: selectors.StockLevel
    product_id: int | None
    name: str


def low_stock() -> list[LowStock]:
    """Skus at or below the low-stock threshold, fewest available first."""
    levels = selectors.list_low_stock()
    rows = {sku: (pk, name) for pk, sku, name in
            Product.objects.filter(sku__in=[level.sku for level in levels]).values_list("pk", "sku", "name")}
    return [LowStock(level, *rows.get(level.sku, (None, ""))) for level in levels]


def read_side_health() -> list[console.Health]:
    """Each subscriber's lag in seconds, dead letters and halt."""
    return console.health()
