"""Customer emails from a real Celery worker, through Django's file mail backend into a temp dir.

Given a stack whose worker mails to files (EMAIL_URL=filemail://): an order placed, confirmed, paid,
shipped and delivered, another cancelled, a third rejected, each mail exactly the expected one;
a backlog whose worker is killed with kill -9 mid-batch and restarted still mails each event once
(the one mail in flight at the kill may reach the mail server twice, with one Message-ID: delivery
to the server is at-least-once, the product's record exactly-once). A mail server that refuses
connections never fails a command: the subscriber dead-letters the event with the reason, and
retrying the dead letter once the server is back sends it, once.
"""
from __future__ import annotations

import sqlite3
import uuid
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from email.message import Message
from typing import Any

import pytest

from eventlog.envelope import NO_STREAM, EventMetadata, NewEvent
from eventlog.subscriptions.dead_letters import list_dead_letters
from orders.domain.events import OrderConfirmed, OrderCreated
from orders.domain.values import OrderLine
from orders.notifications.drafts import NOTIFYING
from orders.notifications.subscriber import NAME as NOTIFICATIONS
from tests.faults.checks import order_events, settle
from tests.faults.load import create_order
from tests.faults.stack import HTTP_TIMEOUT, Stack, Template, wait_until
from tests.mailbox import file_mailbox

pytestmark = pytest.mark.faults

FILE_MAIL = "filemail://"
CLOSED_SMTP = "smtp://127.0.0.1:1"  # nothing listens on port 1


@pytest.fixture(scope="module")
def stack(template: Template, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The whole product, mailing to files under its own directory; the template's customers get addresses."""
    running = Stack(tmp_path_factory.mktemp("notify-stack"), template)
    running.mail_dir = running.directory / "mail"
    running.env.update(EMAIL_URL=FILE_MAIL, EMAIL_FILE_PATH=str(running.mail_dir))  # every service's env
    with sqlite3.connect(running.db_path) as db:
        db.execute("UPDATE auth_user SET email = username || '@example.com'")
    try:
        running.start()
        yield running
    finally:
        running.close()


def mails(stack: Stack) -> list[Message]:
    """Every message the file backend wrote so far."""
    return file_mailbox(stack.mail_dir)


def event_ids(messages: list[Message]) -> Counter[str]:
    return Counter(str(m["X-Ordersys-Event-Id"]) for m in messages)


def recorded(stack: Stack) -> dict[str, str]:
    """The product's own record: event id -> outcome."""
    with sqlite3.connect(stack.db_path) as db:
        return {str(uuid.UUID(event_id)): outcome
                for event_id, outcome in db.execute("SELECT event_id, outcome FROM notifications_notification")}


def notifying_events(stack: Stack, order_id: str) -> list[Any]:
    return [e for e in order_events(stack.store, order_id) if isinstance(e.data, NOTIFYING)]


def customer_email(stack: Stack, n: int) -> str:
    """Where customer n's orders are mailed: the contact email tests.faults.load orders with."""
    return f"customer-{n}@example.com"


def command(stack: Stack, http, order_id: str, action: str, body: dict[str, Any]) -> None:
    response = http.post(stack.url(f"/api/orders/{order_id}/{action}/"), json=body, timeout=HTTP_TIMEOUT)
    assert response.status_code == 200, (action, response.status_code, response.text)


def status(stack: Stack, order_id: str) -> str | None:
    with stack.staff() as http:
        response = http.get(stack.url(f"/api/orders/{order_id}/"), timeout=HTTP_TIMEOUT)
    return response.json().get("status") if response.status_code == 200 else None


def placed(stack: Stack, n: int, sku: str) -> str:
    with stack.customer(n) as http:
        outcome = create_order(stack, http, customer=n, lines=[(sku, 1)])
    assert outcome.ok, outcome
    return outcome.order_id


def test_each_step_mails_the_customer_once_also_after_a_kill_9_mid_batch(stack: Stack):
    stack.receive_stock("FAULT-A", 20)
    delivered, cancelled = placed(stack, 0, "FAULT-A"), placed(stack, 1, "FAULT-A")
    rejected = placed(stack, 2, "FAULT-B")  # never stocked
    wait_until(lambda: status(stack, delivered) == status(stack, cancelled) == "CONFIRMED", timeout=60,
               what="fulfillment to confirm both orders")
    with stack.customer(0) as http:
        command(stack, http, delivered, "pay", {"amount": "10.00", "payment_reference": "PAY-1"})
    with stack.staff() as http:
        command(stack, http, delivered, "ship", {"carrier": "DHL", "tracking_number": "JD0001"})
        command(stack, http, delivered, "deliver", {})
    with stack.customer(1) as http:
        command(stack, http, cancelled, "cancel", {"reason": "changed my mind"})
    settle(stack)

    by_order = {order_id: notifying_events(stack, order_id) for order_id in (delivered, cancelled, rejected)}
    sent = mails(stack)
    assert event_ids(sent) == Counter(str(e.event_id) for events in by_order.values() for e in events)
    subjects = {str(m["X-Ordersys-Event-Id"]): (m["To"], m["Subject"]) for m in sent}
    short = {order_id: order_id[:8] for order_id in by_order}
    assert [subjects[str(e.event_id)] for e in by_order[delivered]] == [
        (customer_email(stack, 0), f"Order {short[delivered]} confirmed"),
        (customer_email(stack, 0), f"Payment received for order {short[delivered]}"),
        (customer_email(stack, 0), f"Order {short[delivered]} shipped"),
        (customer_email(stack, 0), f"Order {short[delivered]} delivered")]
    assert [subjects[str(e.event_id)] for e in by_order[cancelled]] == [
        (customer_email(stack, 1), f"Order {short[cancelled]} confirmed"),
        (customer_email(stack, 1), f"Order {short[cancelled]} cancelled")]
    assert [subjects[str(e.event_id)] for e in by_order[rejected]] == [
        (customer_email(stack, 2), f"Order {short[rejected]} could not be accepted")]
    shipped = next(m for m in sent if m["Subject"] == f"Order {short[delivered]} shipped")
    text = shipped.get_payload()[0].get_payload(decode=True).decode()
    assert "JD0001" in text and "tracking-id=JD0001" in text
    cancellation = next(m for m in sent if m["Subject"] == f"Order {short[cancelled]} cancelled")
    assert "nothing to refund" in cancellation.get_payload()[0].get_payload(decode=True).decode()

    # -- kill -9 mid-batch -------------------------------------------------------------------------
    before = len(sent)
    backlog = append_confirmed_orders(stack, orders=150)
    stack.send_task("projections.catch_up_all")
    wait_until(lambda: before < len(mails(stack)) < before + len(backlog), timeout=30, interval=0.002,
               what="the worker to be mailing the backlog")
    stack["worker"].kill()
    assert len(mails(stack)) < before + len(backlog), "the worker mailed everything before it could be killed"
    stack["worker"].start()
    settle(stack, timeout=90)

    everything = event_ids(mails(stack))
    expected = {str(e.event_id) for order_id in [*by_order, *backlog] for e in notifying_events(stack, order_id)}
    assert set(everything) == expected, "a mail is missing or one was sent for an event that sends none"
    again = [event_id for event_id, n in everything.items() if n > 1]
    # At-least-once to the mail server: only the mail in flight at the kill may have been handed over twice.
    assert len(again) <= 1, f"mailed more than once: {again}"
    assert recorded(stack) == dict.fromkeys(expected, "sent"), "the product's record is not one row per event"


def append_confirmed_orders(stack: Stack, *, orders: int) -> list[str]:
    """Confirmed orders of the template's customers, appended straight to the store: a backlog of mail."""
    metadata = EventMetadata(correlation_id=uuid.uuid4(), causation_id=None, actor="staff:1")
    ids = []
    for n in range(orders):
        order_id = uuid.uuid4()
        customer_id = str(stack.template.customers[n % len(stack.template.customers)][0])
        events = [OrderCreated(order_id=order_id, customer_id=customer_id, currency="EUR", total=Decimal("1.00"),
                               lines=(OrderLine(sku="FAULT-A", name="a", quantity=1, unit_price=Decimal("1.00")),)),
                  OrderConfirmed(order_id=order_id)]
        encoded = []
        for event in events:
            event_type, data = stack.store.registry.encode(event, subject=customer_id)
            encoded.append(NewEvent(uuid.uuid4(), event_type.name, event.SCHEMA_VERSION, data, metadata))
        stack.store.append(f"order-{order_id}", encoded, expected_version=NO_STREAM)
        ids.append(str(order_id))
    return ids


def test_a_refusing_mail_server_dead_letters_with_the_reason_and_a_retry_sends_once(stack: Stack):
    worker = stack["worker"]
    worker.stop()
    worker.env = {**stack.env, "EMAIL_URL": CLOSED_SMTP}  # the worker's mail server refuses; web's still works
    worker.start()
    before = event_ids(mails(stack))
    order_id = placed(stack, 3, "FAULT-A")  # the command succeeds whatever the mail server does
    wait_until(lambda: status(stack, order_id) == "CONFIRMED", timeout=60, what="the order to be confirmed")
    confirmation = str(notifying_events(stack, order_id)[0].event_id)
    parked = wait_until(lambda: parked_for(stack, confirmation), timeout=60, what="the email to be dead-lettered")
    assert "Connection refused" in parked[0].error and parked[0].attempts == 5, parked[0]
    with stack.staff() as http:  # what the console shows operators
        listed = http.get(stack.url(f"/api/projections/{NOTIFICATIONS}/dead-letters/"), timeout=HTTP_TIMEOUT).text
    assert confirmation in listed and "Connection refused" in listed
    settle(stack)
    assert event_ids(mails(stack)) == before, "a mail was written although the mail server refused"

    with stack.staff() as http:  # the mail server is back (web's): an operator retries the dead letter there
        retried = http.post(stack.url(f"/api/projections/{NOTIFICATIONS}/dead-letters/retry/"),
                            json={"event_ids": [confirmation]}, timeout=HTTP_TIMEOUT)
        assert retried.status_code == 200, retried.text
        again = http.post(stack.url(f"/api/projections/{NOTIFICATIONS}/dead-letters/retry/"),
                          json={"event_ids": [confirmation]}, timeout=HTTP_TIMEOUT)
    assert retried.json()["outcomes"] == [{"event_id": confirmation, "succeeded": True, "error": None}], retried.text
    assert again.json()["outcomes"][0]["succeeded"] is False, again.text  # nothing left to send
    settle(stack)
    assert event_ids(mails(stack)) - before == Counter({confirmation: 1})
    assert not parked_for(stack, confirmation)
    assert recorded(stack)[confirmation] == "sent"


def parked_for(stack: Stack, event_id: str) -> list[Any]:
    return [record for record in list_dead_letters(stack.redis, NOTIFICATIONS) if record.event_id == event_id]

