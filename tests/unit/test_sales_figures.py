"""The dashboard's and the sales report's figures: totals per currency over days, and which days a period is."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from projections.reports import CurrencyTotals, SalesReport, last_days, totals_by_currency
from projections.selectors import DailySales

D = Decimal
DAY = date(2026, 3, 1)


def test_totals_add_up_each_currency_apart_and_never_mix_them():
    days = [
        DailySales(day=DAY, orders_created=3, orders_paid=2, revenue={"EUR": D("25.00"), "USD": D("9.99")},
                   created_by_currency={"EUR": 2, "USD": 1}, paid_by_currency={"EUR": 1, "USD": 1}),
        DailySales(day=date(2026, 3, 2)),  # a day without orders
        DailySales(day=date(2026, 3, 3), orders_cancelled=1, orders_refunded=1, refunds={"EUR": D("12.50")}),
    ]

    totals = totals_by_currency(days)

    assert totals == (CurrencyTotals("EUR", orders_created=2, orders_paid=1, revenue=D("25.00"), refunds=D("12.50")),
                      CurrencyTotals("USD", orders_created=1, orders_paid=1, revenue=D("9.99"), refunds=D("0.00")))
    assert [t.net_revenue for t in totals] == [D("12.50"), D("9.99")]
    assert all(isinstance(t.revenue, Decimal) for t in totals)


def test_no_days_or_empty_days_have_no_currencies():
    assert totals_by_currency([]) == ()
    assert totals_by_currency([DailySales(day=DAY)]) == ()


def test_a_report_counts_every_order_whatever_its_currency():
    days = (DailySales(day=DAY, orders_created=2, orders_paid=1, orders_rejected=1),
            DailySales(day=date(2026, 3, 2), orders_created=1, orders_cancelled=1, orders_refunded=1))
    report = SalesReport(start=DAY, end=date(2026, 3, 2), days=days, totals=(), top_products=())
    assert (report.orders_created, report.orders_paid, report.orders_cancelled, report.orders_refunded,
            report.orders_rejected) == (3, 1, 1, 1, 1)


def test_the_last_n_days_end_today_and_include_it():
    assert last_days(1, end=DAY) == (DAY, DAY)
    assert last_days(7, end=DAY) == (date(2026, 2, 23), DAY)
    assert last_days(30, end=date(2024, 3, 1)) == (date(2024, 2, 1), date(2024, 3, 1))  # a leap year's February
