"""Scenario 3: the read-model Redis is killed and comes back empty (a restart without persistence).

Every checkpoint is gone with the read models, so the runner starts from position 0 and refills
them; fulfillment replays its history too and decides nothing twice. Meanwhile the API answers
503 (Redis down) or 404 / stale (refilling), and an order page says "Back in a moment" (503) or
"Updating…", never a 500.
Afterwards every order is back with its status and the read models equal a fresh rebuild.
"""
from __future__ import annotations

import random
import re
import threading
import time

import pytest
import requests

from tests.faults.checks import assert_ledger, assert_read_models_equal_fresh_rebuild, settle
from tests.faults.load import acknowledged, append_backlog, create_order, statuses
from tests.faults.stack import HTTP_TIMEOUT, PASSWORD, Stack, wait_until

pytestmark = pytest.mark.faults

SKU = "FAULT-A"


def login(stack: Stack, username: str) -> requests.Session:
    """A browser-like session logged in through the customer login page."""
    session = stack.client()
    page = session.get(stack.url("/accounts/login/"), timeout=HTTP_TIMEOUT)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    done = session.post(stack.url("/accounts/login/"), timeout=HTTP_TIMEOUT, allow_redirects=False,
                        data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token})
    assert done.status_code == 302, done.text[:500]
    return session


class Readers:
    """Threads reading orders over the API and the order page, recording (phase, kind, status)."""

    def __init__(self, stack: Stack, orders: list[tuple[int, str]], page: requests.Session, page_orders: list[str]):
        self.stack, self.orders, self.page, self.page_orders = stack, orders, page, page_orders
        self.phase = "before"
        self.seen: list[tuple[str, str, int, str]] = []
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._api, daemon=True),
                        threading.Thread(target=self._pages, daemon=True)]

    def __enter__(self) -> Readers:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(HTTP_TIMEOUT + 5)

    def _record(self, phase: str, kind: str, response: requests.Response | None, error: str = "") -> None:
        with self.lock:
            status = response.status_code if response is not None else 0
            self.seen.append((phase, kind, status, error or (response.text[:300] if response is not None else "")))

    def _api(self) -> None:
        sessions = {}
        deadline = time.monotonic() + 120
        while not self.stop.is_set() and time.monotonic() < deadline:
            customer, order_id = random.choice(self.orders)
            http = sessions.setdefault(customer, self.stack.customer(customer))
            phase = self.phase  # the phase a request started in is the one it belongs to
            try:
                self._record(phase, "api", http.get(self.stack.url(f"/api/orders/{order_id}/"), timeout=HTTP_TIMEOUT))
            except requests.RequestException as error:
                self._record(phase, "api", None, str(error))
            self.stop.wait(0.02)

    def _pages(self) -> None:
        deadline = time.monotonic() + 120
        while not self.stop.is_set() and time.monotonic() < deadline:
            order_id = random.choice(self.page_orders)
            phase = self.phase
            try:
                self._record(phase, "page", self.page.get(self.stack.url(f"/orders/{order_id}/"), timeout=HTTP_TIMEOUT))
            except requests.RequestException as error:
                self._record(phase, "page", None, str(error))
            self.stop.wait(0.05)

    def of(self, phase: str, kind: str) -> list[tuple[str, str, int, str]]:
        with self.lock:
            return [s for s in self.seen if s[0] == phase and s[1] == kind]


def test_redis_restarted_empty_the_read_side_refills_itself_without_a_500(stack: Stack):
    stack.receive_stock(SKU, 1000)
    # History to replay before the HTTP orders: the refill takes a few seconds, long enough to see.
    backlog = append_backlog(stack, sku="FAULT-B", orders=60, notes=49)
    outcomes = [create_order(stack, stack.customer(n), customer=n, lines=[(SKU, 1)]) for n in range(40)]
    assert statuses(outcomes) == {201: 40}
    orders = acknowledged(outcomes)
    settle(stack, timeout=90)
    page_customer = 0
    page_orders = [o.order_id for o in outcomes if o.customer == page_customer]

    with stack.customer(0) as http:
        first = http.get(stack.url(f"/api/orders/{page_orders[0]}/"), timeout=HTTP_TIMEOUT).json()
    assert first["status"] == "CONFIRMED"

    readers = Readers(stack, [(o.customer, o.order_id) for o in outcomes],
                      login(stack, f"fault-customer-{page_customer}"), page_orders)
    with readers:
        time.sleep(1)
        readers.phase = "down"
        time.sleep(1)  # requests that started "before" finish before the kill (a loaded machine is slow)
        stack["redis"].kill()
        time.sleep(2)
        # Hold the workers back while Redis comes back empty, so the empty read side is seen for sure
        # (a quiet machine refills a few thousand events in well under a second).
        stack["beat"].stop()
        stack["worker"].stop()
        stack["redis"].start()  # no persistence: it comes back empty, checkpoints included
        time.sleep(1)  # requests that started while Redis was down finish before the next phase
        readers.phase = "refilling"
        wait_until(lambda: any("Updating" in seen[3] for seen in readers.of("refilling", "page")), timeout=30,
                   what="an order page to say 'Updating…' over the empty read side")
        stack["worker"].start()
        stack["beat"].start()
        settle(stack, timeout=90)
        readers.phase = "after"
        time.sleep(1)

    api_down = readers.of("down", "api")
    assert api_down and {s[2] for s in api_down} <= {200, 404, 503}, statuses_of(api_down)
    assert any(s[2] == 503 for s in api_down), "the API never noticed Redis was down"
    for phase in ("before", "refilling", "after"):
        api = readers.of(phase, "api")
        assert api and {s[2] for s in api} <= {200, 404}, (phase, statuses_of(api))
        pages = readers.of(phase, "page")
        assert pages and {s[2] for s in pages} <= {200}, (phase, statuses_of(pages))
    pages_down = readers.of("down", "page")
    assert pages_down and {s[2] for s in pages_down} <= {200, 503}, statuses_of(pages_down)
    assert any(s[2] == 503 and "Back in a moment" in s[3] for s in pages_down), statuses_of(pages_down)
    updating = [s for s in readers.of("refilling", "page") if "Updating" in s[3]]
    assert updating, "no order page said 'Updating…' while the read model was refilling"

    streams = assert_ledger(stack, {**orders, **backlog})  # fulfillment replayed everything and decided nothing twice
    assert all(type(streams[order_id][-1].data).__name__ == "OrderConfirmed" for order_id in orders)
    with stack.customer(0) as http:
        again = wait_until(lambda: (r := http.get(stack.url(f"/api/orders/{page_orders[0]}/"), timeout=HTTP_TIMEOUT))
                           .status_code == 200 and r.json(), timeout=10, what="the order to be back")
    assert again == first, "the refilled read model differs from before the flush"
    level = stack.staff().get(stack.url(f"/api/inventory/{SKU}/"), timeout=HTTP_TIMEOUT).json()
    assert level["reserved"] == 40 and level["on_hand"] == 1000
    assert_read_models_equal_fresh_rebuild(stack)


def statuses_of(seen: list[tuple[str, str, int, str]]) -> dict:
    counts: dict[int, int] = {}
    for _, _, status, _ in seen:
        counts[status] = counts.get(status, 0) + 1
    examples = {s[2]: s[3][:200] for s in seen if s[2] not in (200, 404)}
    return {"counts": counts, "examples": examples}
