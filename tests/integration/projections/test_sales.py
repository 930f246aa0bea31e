"""The "sales" read model: daily counts and revenue per currency, top products by units sold."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from orders.domain.commands import CancelOrder, ConfirmOrder, PayOrder, RejectOrder
from orders.domain.values import Actor
from orders.handlers import dispatch
from projections import selectors
from projections.fields import utc_day
from projections.sales import SalesProjection
from projections.selectors import DailySales, ProductSales

from .conftest import events_of, order_streams, place, project

pytestmark = pytest.mark.django_db(transaction=True)

SYSTEM = Actor("system", "tests")


def pay(order_id, amount: str, customer: str) -> None:
    dispatch(ConfirmOrder(order_id=order_id), actor=SYSTEM)
    dispatch(PayOrder(order_id=order_id, amount=Decimal(amount), payment_reference="p"),
             actor=Actor.customer(customer))


def test_orders_count_when_created_revenue_when_paid_refunds_when_cancelled(app_store, redis_client, skus):
    mug, tee, pen = skus
    kept = place("c1", (mug, 2), (tee, 1))
    pay(kept, "44.90", "c1")
    refunded = place("c2", (pen, 4), (mug, 1))
    pay(refunded, "24.70", "c2")
    dispatch(CancelOrder(order_id=refunded, reason="late"), actor=Actor.customer("c2"))
    refused = place("c3", (tee, 9))
    dispatch(RejectOrder(order_id=refused, reason="no stock"), actor=SYSTEM)
    events = events_of(app_store, *order_streams(kept, refunded, refused))

    project(redis_client, SalesProjection(), events)

    first, last = utc_day(events[0].recorded_at), utc_day(events[-1].recorded_at)
    days = selectors.sales_by_day(first, last, client=redis_client)
    assert [d.day for d in days] == [first + timedelta(days=n) for n in range((last - first).days + 1)]
    assert sum(d.orders_created for d in days) == 3
    assert sum(d.orders_paid for d in days) == 2
    assert (sum(d.orders_cancelled for d in days), sum(d.orders_refunded for d in days)) == (1, 1)
    assert sum(d.orders_rejected for d in days) == 1
    assert sum(d.created_by_currency.get("EUR", 0) for d in days) == 3
    assert sum(d.paid_by_currency.get("EUR", 0) for d in days) == 2
    assert sum((d.revenue.get("EUR", Decimal(0)) for d in days), Decimal(0)) == Decimal("69.60")
    assert sum((d.refunds.get("EUR", Decimal(0)) for d in days), Decimal(0)) == Decimal("24.70")
    assert sum((d.net_revenue.get("EUR", Decimal(0)) for d in days), Decimal(0)) == Decimal("44.90")
    assert all(isinstance(amount, Decimal) for d in days for amount in d.revenue.values())

    # The refunded order's units are taken back: pens sold none, mugs only the kept order's two.
    assert selectors.top_products(client=redis_client) == [ProductSales(mug, 2), ProductSales(tee, 1)]
    assert selectors.top_products(limit=1, start=first, end=last, client=redis_client) == [ProductSales(mug, 2)]
    before = first - timedelta(days=30)
    assert selectors.top_products(start=before, end=before, client=redis_client) == []


def test_days_without_orders_are_zeros(redis_client):
    day = date(2020, 2, 29)
    assert selectors.sales_by_day(day, day, client=redis_client) == [DailySales(day=day)]
    assert selectors.sales_by_day(day, day - timedelta(days=1), client=redis_client) == []
    with pytest.raises(ValueError, match="at most"):
        selectors.sales_by_day(day, day + timedelta(days=400), client=redis_client)
