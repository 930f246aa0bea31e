"""The peer of bench/commands.py: the same workload with the eventsourcing library, driven by turns.

Runs in the peer's own virtualenv (var/bench/peer-venv, from bench/peer-requirements.txt), never in
the project's, and imports nothing of the project. Usage, by bench/commands.py:
`peer-venv/bin/python bench/peer_eventsourcing.py --url esdb://... --threads N`. It prints
`{"ready": true}` once connected and warmed up, then for each line `{"until": <time.monotonic()>}`
on stdin runs N threads until that instant (CLOCK_MONOTONIC is one clock for every process) and
prints `{"orders": n}`; it exits at the end of its input.

The workload is the one `dispatch` runs: create an order (two priced lines), load it, confirm it.
The library's documentation asks EventStoreDB aggregates to start at version 0 (INITIAL_VERSION).
"""
from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

SKUS = ("BENCH-MUG", "BENCH-TEE", "BENCH-CAP")
PRICES = {sku: Decimal("9.90") for sku in SKUS}  # the peer's catalogue: in memory, so cheaper than ours


class Order(Aggregate):
    """An order: created pending with its priced lines, then confirmed."""

    INITIAL_VERSION = 0

    @event("Created")
    def __init__(self, customer_id: str, lines: list[dict[str, Any]], total: Decimal, currency: str) -> None:
        self.customer_id = customer_id
        self.lines = lines
        self.total = total
        self.currency = currency
        self.status = "PENDING"

    def confirm(self) -> None:
        """Confirm a pending order (the same rule as ours: only from pending)."""
        if self.status != "PENDING":
            raise ValueError(f"cannot confirm an order that is {self.status}")
        self._confirmed()

    @event("Confirmed")
    def _confirmed(self) -> None:
        self.status = "CONFIRMED"


class Orders(Application):
    """Create, load and confirm orders."""

    def create_order(self, customer_id: str, requested: list[tuple[str, int]]) -> UUID:
        lines = [{"sku": sku, "name": sku.title(), "quantity": quantity, "unit_price": PRICES[sku]}
                 for sku, quantity in requested]
        total = sum((line["unit_price"] * line["quantity"] for line in lines), Decimal("0"))
        order = Order(customer_id=customer_id, lines=lines, total=total, currency="EUR")
        self.save(order)
        return order.id

    def confirm_order(self, order_id: UUID) -> None:
        order: Order = self.repository.get(order_id)
        order.confirm()
        self.save(order)


def one_order(app: Orders, index: int) -> None:
    order_id = app.create_order(str(index % 100 + 1), [(SKUS[index % 3], 2), (SKUS[(index + 1) % 3], 1)])
    app.confirm_order(order_id)


def run_until(app: Orders, threads: int, deadline: float) -> int:
    counts = [0] * threads

    def work(thread: int) -> None:
        while time.monotonic() < deadline:
            one_order(app, thread)
            counts[thread] += 1

    workers = [threading.Thread(target=work, args=(index,)) for index in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return sum(counts)


def main() -> None:
    parser = argparse.ArgumentParser(description="the eventsourcing peer of bench/commands.py")
    parser.add_argument("--url", required=True)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    app = Orders(env={"PERSISTENCE_MODULE": "eventsourcing_eventstoredb", "EVENTSTOREDB_URI": args.url})
    for index in range(50):
        one_order(app, index)
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        orders = run_until(app, args.threads, json.loads(line)["until"])
        print(json.dumps({"orders": orders}), flush=True)


if __name__ == "__main__":
    main()
