"""Sales figures over a range of UTC days, from the `sales` read model only: per day, totals per currency, top products.

Read through `projections.selectors` (the read path of the read models); the totals are pure
sums of its days, so the dashboard's "today / 7 days / 30 days" and the API's `from`/`to` report
count the same things (see projections/sales.py for what is counted on which day).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import redis

from projections import selectors
from projections.selectors import MAX_DAYS, DailySales, ProductSales

__all__ = ["DEFAULT_TOP_PRODUCTS", "MAX_DAYS", "MAX_TOP_PRODUCTS", "CurrencyTotals", "SalesReport", "last_days",
           "sales_report", "today", "totals_by_currency"]

ZERO = Decimal("0.00")
DEFAULT_TOP_PRODUCTS = 10
MAX_TOP_PRODUCTS = 100


def today() -> date:
    """The current UTC calendar day: sales days are UTC days of the events' `recorded_at`."""
    return datetime.now(UTC).date()


def last_days(count: int, *, end: date | None = None) -> tuple[date, date]:
    """The first and last day of the `count` days ending with `end` (default: today, UTC)."""
    end = end or today()
    return end - timedelta(days=count - 1), end


@dataclass(frozen=True, slots=True)
class CurrencyTotals:
    """One currency's figures over some days; amounts never mix currencies."""

    currency: str
    orders_created: int = 0
    orders_paid: int = 0
    revenue: Decimal = ZERO
    refunds: Decimal = ZERO

    @property
    def net_revenue(self) -> Decimal:
        """Revenue minus refunds."""
        return self.revenue - self.refunds


@dataclass(frozen=True, slots=True)
class SalesReport:
    """Figures of every day from `start` to `end` (inclusive), their totals, and the best-selling skus."""

    start: date
    end: date
    days: tuple[DailySales, ...]
    totals: tuple[CurrencyTotals, ...]
    top_products: tuple[ProductSales, ...]

    @property
    def orders_created(self) -> int:
        """Orders created over the range, all currencies."""
        return sum(day.orders_created for day in self.days)

    @property
    def orders_paid(self) -> int:
        """Orders paid over the range, all currencies."""
        return sum(day.orders_paid for day in self.days)

    @property
    def orders_cancelled(self) -> int:
        """Orders cancelled over the range."""
        return sum(day.orders_cancelled for day in self.days)

    @property
    def orders_refunded(self) -> int:
        """Cancelled orders that were refunded over the range."""
        return sum(day.orders_refunded for day in self.days)

    @property
    def orders_rejected(self) -> int:
        """Orders rejected over the range."""
        return sum(day.orders_rejected for day in self.days)


def totals_by_currency(days: Sequence[DailySales]) -> tuple[CurrencyTotals, ...]:
    """The days' figures added up per currency, by currency code."""
    currencies = sorted({currency for day in days for currency in day.currencies})
    return tuple(CurrencyTotals(
        currency=currency,
        orders_created=sum(day.created_by_currency.get(currency, 0) for day in days),
        orders_paid=sum(day.paid_by_currency.get(currency, 0) for day in days),
        revenue=sum((day.revenue.get(currency, ZERO) for day in days), ZERO),
        refunds=sum((day.refunds.get(currency, ZERO) for day in days), ZERO),
    ) for currency in currencies)


def sales_report(start: date, end: date, *, top: int = DEFAULT_TOP_PRODUCTS,
                 client: redis.Redis | None = None) -> SalesReport:
    """The report from `start` to `end` inclusive (ValueError if reversed or longer than MAX_DAYS days)."""
    if end < start:
        raise ValueError("the range ends before it starts")
    days = tuple(selectors.sales_by_day(start, end, client=client))
    products = tuple(selectors.top_products(limit=top, start=start, end=end, client=client))
    return SalesReport(start=start, end=end, days=days, totals=totals_by_currency(days), top_products=products)
