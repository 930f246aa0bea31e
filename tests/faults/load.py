"""Bounded HTTP load on a stack: order creations from client threads, every outcome recorded."""
from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import requests

from eventlog.envelope import NO_STREAM, EventMetadata, NewEvent
from orders.domain.events import OrderCreated, OrderNoteAdded
from orders.domain.values import OrderLine
from tests.faults.stack import HTTP_TIMEOUT, Stack

PROBLEM_JSON = "application/problem+json"


@dataclass(frozen=True)
class Outcome:
    """One HTTP request and what came back (status 0: no answer at all)."""

    key: str
    customer: int
    status: int
    body: Any
    headers: dict[str, str]
    started: float
    ended: float
    error: str | None = None

    @property
    def ok(self) -> bool:
        """A 2xx: the system acknowledged the command."""
        return 200 <= self.status < 300

    @property
    def order_id(self) -> str | None:
        """The created order's id (from a 2xx body)."""
        return self.body.get("aggregate_id") if self.ok and isinstance(self.body, dict) else None


# Where the fault suite's orders ship (its customers have no email on their accounts, so it is sent too).
SHIPPING_ADDRESS = {"recipient_name": "Fault Customer", "line1": "1 Load Street", "city": "Berlin",
                    "postal_code": "10115", "country": "DE"}


def create_order(stack: Stack, http: requests.Session, *, customer: int, lines: list[tuple[str, int]],
                 key: str | None = None) -> Outcome:
    """POST /api/orders/ with an Idempotency-Key, as a careful client does."""
    key = key or str(uuid.uuid4())
    started = time.monotonic()
    try:
        response = http.post(stack.url("/api/orders/"), timeout=HTTP_TIMEOUT,
                             json={"lines": [{"sku": sku, "quantity": qty} for sku, qty in lines],
                                   "shipping_address": SHIPPING_ADDRESS,
                                   "contact_email": f"customer-{customer}@example.com"},
                             headers={"Idempotency-Key": key})
    except requests.RequestException as error:
        return Outcome(key, customer, 0, None, {}, started, time.monotonic(), f"{type(error).__name__}: {error}")
    try:
        body: Any = response.json()
    except ValueError:
        body = response.text[:500]
    return Outcome(key, customer, response.status_code, body, dict(response.headers), started, time.monotonic())


@dataclass
class Load:
    """Client threads creating orders until told to stop, or a count or time bound is reached."""

    stack: Stack
    lines: list[tuple[str, int]]
    clients: int = 4
    max_requests: int = 400
    max_seconds: float = 60.0
    pause: float = 0.0  # seconds a client waits between its requests
    outcomes: list[Outcome] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._sent = 0
        self._threads: list[threading.Thread] = []

    def start(self) -> Load:
        """Start the client threads."""
        self._deadline = time.monotonic() + self.max_seconds
        for n in range(self.clients):
            thread = threading.Thread(target=self._client, args=(n,), name=f"load-{n}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> list[Outcome]:
        """Stop the clients (each finishes its request in flight) and return every outcome."""
        self._stop.set()
        for thread in self._threads:
            thread.join(HTTP_TIMEOUT + 5)
        return self.snapshot()

    def join(self) -> list[Outcome]:
        """Wait for the clients to reach their count or time bound, and return every outcome."""
        for thread in self._threads:
            thread.join(max(0.0, self._deadline - time.monotonic()) + HTTP_TIMEOUT + 5)
        return self.stop()

    def snapshot(self) -> list[Outcome]:
        """The outcomes so far."""
        with self._lock:
            return list(self.outcomes)

    def wait_for(self, check: Callable[[list[Outcome]], bool], *, timeout: float, what: str) -> None:
        """Wait until the outcomes so far satisfy `check`."""
        deadline = time.monotonic() + timeout
        while not check(self.snapshot()):
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}; statuses so far: {statuses(self.snapshot())}")
            time.sleep(0.05)

    def _client(self, n: int) -> None:
        with self.stack.customer(n) as http:
            while not self._stop.is_set() and time.monotonic() < self._deadline:
                with self._lock:
                    if self._sent >= self.max_requests:
                        return
                    self._sent += 1
                outcome = create_order(self.stack, http, customer=n, lines=self.lines)
                with self._lock:
                    self.outcomes.append(outcome)
                if self.pause:
                    self._stop.wait(self.pause)


def statuses(outcomes: list[Outcome]) -> dict[int, int]:
    """How many of each status code."""
    counts: dict[int, int] = {}
    for outcome in outcomes:
        counts[outcome.status] = counts.get(outcome.status, 0) + 1
    return dict(sorted(counts.items()))


def acknowledged(outcomes: list[Outcome]) -> dict[str, dict[str, Any]]:
    """Order id -> 2xx body, of every acknowledged creation."""
    return {outcome.order_id: outcome.body for outcome in outcomes if outcome.ok and outcome.order_id}


def append_backlog(stack: Stack, *, sku: str, orders: int, notes: int) -> dict[str, dict]:
    """Orders with many notes each, appended straight to the store (no nudge): a backlog to project.

    Returns order id -> {"events": [the OrderCreated id]}, shaped like a 201 body for `assert_ledger`.
    """
    store = stack.store
    metadata = EventMetadata(correlation_id=uuid.uuid4(), causation_id=None, actor="staff:1")
    appended: dict[str, dict] = {}
    for n in range(orders):
        order_id = uuid.uuid4()
        events = [OrderCreated(order_id=order_id, customer_id=f"c{n % 5}", currency="EUR", total=Decimal("4.50"),
                               lines=(OrderLine(sku=sku, name="b", quantity=1, unit_price=Decimal("4.50")),))]
        events += [OrderNoteAdded(order_id=order_id, text=f"note {i}", author="staff:1") for i in range(notes)]
        encoded = []
        for event in events:
            event_type, data = store.registry.encode(event, subject=f"c{n % 5}")
            encoded.append(NewEvent(uuid.uuid4(), event_type.name, 1, data, metadata))
        store.append(f"order-{order_id}", encoded, expected_version=NO_STREAM)
        appended[str(order_id)] = {"events": [{"event_id": str(encoded[0].event_id)}]}
    return appended
