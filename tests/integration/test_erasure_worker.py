"""Erasure with the real Celery worker: the read models say "[erased]", the books stay, no mail goes out.

A customer's order is confirmed and paid through the worker (two mails); the customer is erased;
the worker's read models then show "[erased]" for the address and contact email while status,
total, stock and the day's sales figures do not move; shipping the order afterwards sends them no
mail (recorded as "erased"), and nothing the worker mailed after the erasure names them.
"""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from eventlog.pii import ERASED
from orders.domain.commands import PayOrder, ReceiveStock, ShipOrder
from orders.domain.values import Actor, OrderStatus
from orders.handlers import dispatch
from orders.models import Product
from orders.notifications.models import Notification, Outcome
from orders.privacy.erasure import erase_customer
from projections import selectors
from tests.conftest import shared_test_database, start_subscribers_at_head
from tests.factories import ADDRESS, CONTACT_EMAIL, place
from tests.integration.test_worker import eventually
from tests.mailbox import file_mailbox

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture
def mailbox(tmp_path, app_store, redis_client):
    """A real worker sharing the test database (the customers' keys), mailing into a directory."""
    start_subscribers_at_head(redis_client, app_store)
    directory = tmp_path / "mail"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{shared_test_database()}", "EMAIL_URL": "filemail://",
           "EMAIL_FILE_PATH": str(directory)}
    with (tmp_path / "worker.log").open("wb") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "prefork", "--concurrency", "2",
             "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel", "WARNING"],
            cwd=ROOT, env=env, start_new_session=True, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield directory
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=20)


def test_erasing_a_customer_through_the_worker_keeps_the_books_and_mails_them_no_more(
        mailbox, redis_client, django_user_model, unique):
    customer = django_user_model.objects.create_user(f"wendy{unique}", "wendy@example.com", "wendy-password-1",
                                                     pk=random.randrange(10**8, 10**9))
    sku = f"ERASE-{unique}".upper()
    Product.objects.create(sku=sku, name="Mug", unit_price=Decimal("12.50"))
    dispatch(ReceiveStock(sku=sku, quantity=5), actor=Actor.staff("1"))
    me = Actor.customer(str(customer.pk))
    order_id = place(customer, (sku, 2))
    eventually(lambda: (s := selectors.get_order(order_id, client=redis_client)) and s.status == OrderStatus.CONFIRMED,
               what="the worker to confirm the order")
    dispatch(PayOrder(order_id=order_id, amount=Decimal("25.00"), payment_reference="P-1"), actor=me)
    paid = eventually(lambda: (s := selectors.get_order(order_id, client=redis_client))
                      and s.status == OrderStatus.PAID and s, what="the payment to show")
    eventually(lambda: len(file_mailbox(mailbox)) == 2, what="the confirmed and paid mails")
    assert all(message["To"] == CONTACT_EMAIL for message in file_mailbox(mailbox))
    today = datetime.now(UTC).date()
    sales, stock = selectors.sales_by_day(today, today, client=redis_client), selectors.get_stock_level(sku)

    erase_customer(str(customer.pk), actor=Actor.staff("1"))

    erased = eventually(lambda: (s := selectors.get_order(order_id, client=redis_client))
                        and s.contact_email == ERASED and s, what="the read model to drop the personal data")
    assert erased.shipping_address.line1 == ERASED and erased.shipping_address.recipient_name == ERASED
    assert erased.shipping_address.country == ADDRESS.country
    assert (erased.status, erased.total, erased.lines, erased.amount_paid) == (
        paid.status, paid.total, paid.lines, paid.amount_paid)
    assert selectors.sales_by_day(today, today, client=redis_client) == sales
    assert selectors.get_stock_level(sku) == stock

    dispatch(ShipOrder(order_id=order_id, carrier="DHL", tracking_number="T-1"), actor=Actor.staff("1"))
    eventually(lambda: Notification.objects.filter(order_id=order_id, kind="shipped").exists(),
               what="the worker to decide about the shipped mail")
    shipped = Notification.objects.get(order_id=order_id, kind="shipped")
    assert (shipped.outcome, shipped.recipient) == (Outcome.ERASED, ERASED)
    assert len(file_mailbox(mailbox)) == 2  # nothing new went out
    assert set(Notification.objects.filter(order_id=order_id).values_list("recipient", flat=True)) == {ERASED}
