"""One customer's personal data through the whole product, then erased: the story the privacy tests read.

The product runs as `make run` runs it, on private ports (tests/faults/stack.py): the embedded event
store persisting to SQLite, Redis, gunicorn, a Celery worker and beat, one SQLite database, every
process's output in a log file; mail goes to files (`filemail://`), as mails already sent are out of
reach. A customer signs up with a unique marker in their email, orders through the checkout page
(address form, "save this address") and the API (with an Idempotency-Key), staff correct one
address, pay and ship one order, the customer cancels one with a reason holding the marker, and one
order grows long enough to be snapshotted. Then the customer deletes their account on the account
page. Each test searches one kind of copy for the marker.
"""
from __future__ import annotations

import logging
import secrets
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from config.devstack import local_services
from tests.faults.checks import settle
from tests.faults.stack import HTTP_TIMEOUT, PYTHON, ROOT, Stack, Template
from tests.integration.privacy import search
from tests.integration.privacy.client import (
    admin_login,
    api_post,
    api_token,
    order_body,
    post_form,
    sign_up,
    wait_for_status,
)
from tests.integration.privacy.keyrows import keyring_rows

SKU = "FAULT-A"  # 10.00 EUR in the stack's catalogue
NOTES_FOR_A_SNAPSHOT = 100  # orders.repository.SNAPSHOT_EVERY
KEY_CACHE_SECONDS = 2.5  # a process may keep a destroyed key for PII_KEY_CACHE_SECONDS (2 s by default)


@dataclass
class Story:
    """The stack after the customer's erasure, and what was recorded before it."""

    stack: Stack
    marker: str  # in the recipient name, address line, city, contact email, cancel reason and account email
    phone: str  # digits only (a phone number has no letters), in the phone field
    customer_id: str
    username: str  # chosen by the customer: personal data too, renamed by the erasure
    password: str
    other_customer_id: str
    orders: dict[str, str]  # role -> order id: shipped, cancelled, corrected, long (the customer's), other
    staff_api: requests.Session
    staff_pages: requests.Session
    books: dict[str, Any]  # totals, statuses, stock and sales before the erasure
    before: dict[str, Any]  # where the marker was before the erasure (raw store, Redis, logs, pages)
    key_rows: dict[str, list[tuple]]  # the customer's rows of the keyring's tables, copied before the erasure
    mails_before_erasure: int = 0

    @property
    def needles(self) -> tuple[str, str, str]:
        """What must not be found: the marker, the phone digits and the username the customer chose."""
        return self.marker, self.phone, self.username

    @property
    def logs(self) -> Path:
        return self.stack.directory / "logs"

    @property
    def mail(self) -> Path:
        return self.stack.directory / "mail"

    def manage(self, *argv: str, timeout: float = 120) -> str:
        """Run `manage.py` against the stack (its database, event store, Redis); output kept with the logs."""
        done = subprocess.run([PYTHON, "manage.py", *argv], cwd=ROOT, env=self.stack.env, capture_output=True,
                              text=True, timeout=timeout)
        with (self.logs / "manage.log").open("a") as log:
            log.write(f"===== manage.py {' '.join(argv)} -> {done.returncode}\n{done.stdout}{done.stderr}")
        assert done.returncode == 0, f"manage.py {' '.join(argv)} failed:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def page(self, path: str, *, statuses: tuple[int, ...] = (200,)) -> str:
        """An admin page as staff (a superuser: every button and field there is)."""
        response = self.staff_pages.get(self.stack.url(path), timeout=HTTP_TIMEOUT)
        assert response.status_code in statuses, (path, response.status_code, response.text[:500])
        return response.text

    def api(self, path: str, *, statuses: tuple[int, ...] = (200,)) -> str:
        """An API response body as staff."""
        response = self.staff_api.get(self.stack.url(path), timeout=HTTP_TIMEOUT)
        assert response.status_code in statuses, (path, response.status_code, response.text[:500])
        return response.text


def address(marker: str, phone: str, *, recipient: str = "Ann") -> dict[str, str]:
    """A shipping address with the marker in the recipient name, line 1 and city, and the phone digits."""
    return {"recipient_name": f"{recipient} {marker}", "line1": f"{marker} Street 1", "line2": "",
            "city": f"City{marker}", "postal_code": "10115", "country": "DE", "phone": f"+49 {phone}"}


# -- the books: what erasure must leave as it was ---------------------------------------------------


def books(story_stack: Stack, staff: requests.Session, orders: dict[str, str]) -> dict[str, Any]:
    """Each order's status, total, lines and version, the sku's stock level and today's sales report."""
    day = datetime.now(UTC).date().isoformat()
    result: dict[str, Any] = {}
    for role, order_id in orders.items():
        body = order_body(staff, story_stack, order_id)
        result[role] = {key: body[key] for key in ("status", "total", "currency", "lines", "version", "customer_id")}
    stock = staff.get(story_stack.url(f"/api/inventory/{SKU}/"), timeout=HTTP_TIMEOUT).json()
    result["stock"] = {key: value for key, value in stock.items() if key != "stale"}
    sales = staff.get(story_stack.url(f"/api/reports/sales/?from={day}&to={day}"), timeout=HTTP_TIMEOUT)
    assert sales.status_code == 200, sales.text
    result["sales"] = {key: value for key, value in sales.json().items() if key not in ("stale", "generated_at")}
    return result


# -- the story ----------------------------------------------------------------------------------------


@contextmanager
def _log_this_process(directory: Path) -> Iterator[None]:
    """Everything this test process logs (any logger, any level) into a file beside the stack's logs."""
    root, handler = logging.getLogger(), logging.FileHandler(directory / "test-process.log")
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        root.setLevel(level)
        root.removeHandler(handler)
        handler.close()


@pytest.fixture(scope="module")
def stack(template: Template, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The whole product, private to the module, logging everything (DEBUG, JSON lines), mail into files."""
    running = Stack(tmp_path_factory.mktemp("privacy"), template)
    # Services share this dict: set before they start. DEBUG: not even a debug line may hold personal data.
    running.env.update({"LOG_LEVEL": "DEBUG", "LOG_JSON": "true", "EMAIL_URL": "filemail://",
                        "EMAIL_FILE_PATH": str(running.directory / "mail"),
                        "PII_MASTER_KEY": master_key()})
    # The read-model Redis persists to an append-only file, as in production (docker-compose.yml).
    running.services["redis"].argv = local_services.redis_command(running.redis_port,
                                                                  data_dir=running.directory / "redis")
    for name in ("worker", "beat"):  # Celery's --loglevel would hold its processes' root logger at WARNING
        argv = running.services[name].argv
        argv[argv.index("--loglevel") + 1] = "DEBUG"
    with _log_this_process(running.directory / "logs"):
        try:
            running.start()
            yield running
        finally:
            running.close()


def master_key() -> str:
    """A fresh master key for the stack, in the form the settings read."""
    from eventlog.pii.master import new_master_key

    return new_master_key()


@pytest.fixture(scope="module")
def story(stack: Stack) -> Story:
    """The customer's orders placed, moved on and projected; then the customer erased and everything settled."""
    marker, phone = uuid.uuid4().hex, str(secrets.randbelow(9 * 10**11) + 10**11)
    password = secrets.token_urlsafe(16)
    username = f"privacy-{marker[:6]}x"
    staff_api = stack.staff()
    stack.receive_stock(SKU, 100)

    customer = sign_up(stack, username, f"{marker}@example.com", password)
    token = api_token(stack, username, password)
    customer_api = stack.client(token)
    orders = {"corrected": api_post(customer_api, stack, "/api/orders/", {
        "lines": [{"sku": SKU, "quantity": 1}], "shipping_address": address(marker, phone),
        "contact_email": f"{marker}@example.com"}, status=201, **{"Idempotency-Key": f"k-{marker}"})["aggregate_id"]}
    customer_id = order_body(customer_api, stack, orders["corrected"])["customer_id"]

    for role in ("shipped", "cancelled"):
        order_id = str(uuid.uuid4())
        done = post_form(customer, stack, "/orders/new/", {
            "order_id": order_id, f"qty_{SKU}": "1", "saved_address": "new", **address(marker, phone),
            "contact_email": f"{marker}@example.com", "save_address": "on" if role == "shipped" else ""},
            form_page="/")
        assert done.status_code == 302, done.text[:2000]
        orders[role] = order_id
    orders["long"] = api_post(customer_api, stack, "/api/orders/", {
        "lines": [{"sku": SKU, "quantity": 2}], "shipping_address": address(marker, phone)}, status=201)["aggregate_id"]

    other_id, other_token = stack.template.customers[1]
    orders["other"] = api_post(stack.client(other_token), stack, "/api/orders/", {
        "lines": [{"sku": SKU, "quantity": 1}], "contact_email": "bob@example.com",
        "shipping_address": {**address("bob-other", "301234567", recipient="Bob"), "city": "Hamburg"}},
        status=201)["aggregate_id"]

    for order_id in orders.values():
        wait_for_status(staff_api, stack, order_id, "CONFIRMED")
    shipped = orders["shipped"]
    total = order_body(staff_api, stack, shipped)["total"]
    api_post(staff_api, stack, f"/api/orders/{shipped}/pay/", {"amount": total, "payment_reference": "PAY-1"})
    api_post(staff_api, stack, f"/api/orders/{shipped}/ship/", {"carrier": "DHL", "tracking_number": "TRK-1"})
    api_post(staff_api, stack, f"/api/orders/{orders['corrected']}/shipping-address/", {
        "shipping_address": {**address(marker, phone), "line2": f"c/o {marker}"}, "reason": "customer called"})
    for n in range(NOTES_FOR_A_SNAPSHOT):
        api_post(staff_api, stack, f"/api/orders/{orders['long']}/notes/", {"text": f"note {n}"})
    cancelled = orders["cancelled"]
    version = order_body(staff_api, stack, cancelled)["version"]
    done = post_form(customer, stack, f"/orders/{cancelled}/cancel/",
                     {"version": str(version), "reason": f"Moving to {marker}"}, form_page=f"/orders/{cancelled}/")
    assert done.status_code == 302, done.text[:2000]
    wait_for_status(staff_api, stack, cancelled, "CANCELLED")
    settle(stack)

    staff_pages = admin_login(stack, "fault-staff")
    story = Story(stack=stack, marker=marker, phone=phone, customer_id=customer_id, username=username,
                  password=password, other_customer_id=str(other_id), orders=orders, staff_api=staff_api,
                  staff_pages=staff_pages, books=books(stack, staff_api, orders), before={},
                  key_rows=keyring_rows(stack.db_path, customer_id))
    story.before = where_the_marker_is(story)
    story.mails_before_erasure = len(list(story.mail.iterdir())) if story.mail.exists() else 0

    erase_on_the_account_page(stack, customer, password)
    settle(stack)
    time.sleep(KEY_CACHE_SECONDS)
    return story


def erase_on_the_account_page(stack: Stack, customer: requests.Session, password: str) -> None:
    """The account page's "Delete my account": its confirmation page, the password once more."""
    done = post_form(customer, stack, "/account/delete/", {"password": password})
    assert done.status_code == 302, done.text[:2000]


def pages(story: Story) -> dict[str, str]:
    """Every admin page and API response (as staff) that shows the customer's orders, by path."""
    bodies: dict[str, str] = {}
    mine = [order_id for role, order_id in story.orders.items() if role != "other"]
    for order_id in mine:
        for path in (f"/admin/orders/order/{order_id}/", f"/admin/eventlog/stream/order-{order_id}/",
                     f"/admin/eventlog/events/?stream_prefix=order-{order_id}",
                     f"/admin/orders/order/{order_id}/packing-slip/"):
            bodies[path] = story.page(path)
        for path in (f"/api/orders/{order_id}/", f"/api/orders/{order_id}/events/",
                     f"/api/streams/order-{order_id}/events/"):
            bodies[path] = story.api(path)
    slips = "&".join(f"order={order_id}" for order_id in mine)
    for path in ("/admin/orders/order/", f"/admin/orders/order/packing-slips/?{slips}", "/admin/eventlog/events/",
                 "/admin/eventlog/events/?event_type=OrderCreated", "/admin/"):
        bodies[path] = story.page(path)
    for path in (f"/api/orders/?customer_id={story.customer_id}", "/api/orders/"):
        bodies[path] = story.api(path)
    # The customer's own stream (CustomerErased): shown where the build lets staff read it.
    customer_stream = f"/api/streams/customer-{story.customer_id}/events/"
    bodies[customer_stream] = story.api(customer_stream, statuses=(200, 404))
    customer_timeline = f"/admin/eventlog/stream/customer-{story.customer_id}/"
    bodies[customer_timeline] = story.page(customer_timeline, statuses=(200, 404))
    bodies.update(customer_pages(story))
    return bodies


def customer_pages(story: Story) -> dict[str, str]:
    """The staff Customers page of the customer and its JSON export, where this build has them (issue 13, C)."""
    from django.urls import NoReverseMatch, reverse

    try:
        page, export = (reverse(name, args=[int(story.customer_id)]) for name in ("admin:customer",
                                                                                   "admin:customer-export"))
    except NoReverseMatch:
        return {}
    response = post_form(story.staff_pages, story.stack, export, {}, form_page=page)
    assert response.status_code == 200, (export, response.status_code, response.text[:500])
    return {page: story.page(page), export: response.text}


def where_the_marker_is(story: Story) -> dict[str, Any]:
    """Every copy of the marker: raw event storage, $all undecoded, Redis, logs, database rows, pages."""
    stack = story.stack
    raw_events = [f"{event.stream_name}@{event.stream_position}:{event.event_type}"
                  for event in stack.store.iter_all(decode=False)
                  if any(needle in repr(event.data).lower() for needle in story.needles)]
    return {
        "eventstore_files": search.in_files(stack.directory / "eventstore", story.needles),
        "all_undecoded": raw_events,
        "redis": search.in_redis(stack.redis_url, story.needles),
        "broker": search.in_redis(stack.broker_url, story.needles),
        "logs": search.in_files(story.logs, story.needles),
        "database": search.in_database(stack.db_path, story.needles),
        "pages": sorted(path for path, body in pages(story).items() if story.marker in body.lower()),
    }
