"""The fulfillment process manager: reserves stock for new orders, then confirms or rejects them;
releases the stock of rejected and cancelled orders and ships the stock of shipped ones.

It runs under the subscription runner like a projection, but writes nothing to Redis: its effects
are commands, sent through `dispatch` as `system:fulfillment`. Every command carries the
triggering event as causation, its correlation id, and an idempotency key derived from the
triggering event (`<event_id>:<step>`), so re-processing an event after a crash appends nothing new.

Why the decision on an order is stable although stock keeps moving:
- it is taken only while the order is PENDING, and it is recorded (ConfirmOrder / RejectOrder)
  *before* anything is given back; an order that is no longer PENDING is never decided again;
- a reservation that succeeded once is replayed from its idempotency key (and the inventory
  treats a second reservation for the same order as a no-op), so re-processing never reserves
  twice; a reservation that was refused appended nothing, so asking again is asking afresh -
  legitimate, because no decision was recorded and nothing had been released yet;
- stock is released only after the order left PENDING (rejected or cancelled), so a replayed
  "reserved" always refers to units that are still held when ConfirmOrder is sent.
Confirm only follows a held reservation for every line, and the Inventory aggregate never lets
reservations exceed stock on hand, so no sku is oversold.

Failure policy: "halt". A poison event stops the manager (after retries) until someone acts,
instead of being parked and skipped: skipping an OrderCancelled or OrderRejected would leak a
reservation for good, skipping an OrderCreated would leave the order PENDING, and retrying a parked
event later would apply it out of order. Refusals that only mean "the order moved on" (cancelled
meanwhile, decided by staff) are expected and handled here, so they never halt anything.
"""
from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from uuid import UUID

from eventlog import connections
from eventlog.envelope import RecordedEvent
from eventlog.ports import EventStorePort
from eventlog.subscriptions.base import ReadModelWriter, SubscriberSpec
from orders.domain.commands import (
    Command,
    ConfirmOrder,
    RejectOrder,
    ReleaseStock,
    ReserveStock,
    ShipStock,
)
from orders.domain.errors import InsufficientStockError, InvalidTransitionError, OrderNotFoundError
from orders.domain.events import OrderCancelled, OrderCreated, OrderRejected, OrderShipped
from orders.domain.inventory import Inventory
from orders.domain.order import Order
from orders.domain.values import Actor, OrderLine, OrderStatus, UnavailableLine
from orders.handlers import CommandResult, dispatch
from orders.repository import AggregateRepository

__all__ = ["FULFILLMENT_ACTOR", "NAME", "FulfillmentProcessManager"]

log = logging.getLogger(__name__)

NAME = "fulfillment"
STREAM_PREFIX = "order-"
FULFILLMENT_ACTOR = Actor("system", "fulfillment")
PARALLEL_DECISIONS = 8  # new orders decided at once per batch; stock contention is settled by the store
DECIDED_AHEAD_REMEMBERED = 10_000  # OrderCreated events prepare_batch decided, so handle() need not reload them


def _nothing() -> None:
    return None


class _EarlierUndecidedError(Exception):
    """An earlier order of the batch wanting the same stock failed to decide here: decide this one in order."""


class _RecentIds:
    """A bounded, thread-safe set of the most recent event ids added."""

    def __init__(self, size: int) -> None:
        self._ids: OrderedDict[UUID, None] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def add(self, event_id: UUID) -> None:
        with self._lock:
            self._ids[event_id] = None
            while len(self._ids) > self._size:
                self._ids.popitem(last=False)

    def __contains__(self, event_id: object) -> bool:
        with self._lock:
            return event_id in self._ids


class FulfillmentProcessManager:
    """Turns order events into inventory commands and the order's confirmation or rejection."""

    # Partitionable by order stream: each partition decides its own orders; two partitions reserving the
    # same sku race on the Inventory stream's expected version, and the loser reloads and decides again,
    # so stock is never oversold however many partitions run (see "Scaling out" in the README).
    spec = SubscriberSpec(name=NAME, stream_prefixes=(STREAM_PREFIX,), policy="halt", rebuildable=False,
                          batch_size=100, partitionable=True)

    def __init__(self, *, store: EventStorePort | None = None) -> None:
        self._store = store
        self._decided_ahead = _RecentIds(DECIDED_AHEAD_REMEMBERED)

    @property
    def store(self) -> EventStorePort:
        """The event store commands go to (the process-wide one unless given)."""
        return self._store or connections.event_store()

    def handle(self, event: RecordedEvent, writer: ReadModelWriter | None = None) -> None:
        """React to one order event; the writer is unused (process managers keep no read model)."""
        if not event.stream_name.startswith(STREAM_PREFIX):
            return
        data = event.data
        if isinstance(data, OrderCreated):
            if event.event_id in self._decided_ahead:
                return  # prepare_batch recorded its decision in the store: reloading the order would only say so
            self._on_created(event, data)
        elif isinstance(data, OrderRejected | OrderCancelled):
            self._release(event, self._lines_of(data.order_id), order_id=data.order_id)
        elif isinstance(data, OrderShipped):
            for line in self._lines_of(data.order_id):
                self._send(ShipStock(sku=line.sku, order_id=data.order_id), event, step=f"ship:{line.sku}")

    def prepare_batch(self, events: list[RecordedEvent]) -> None:
        """Decide the batch's new orders concurrently where they share no sku, in order where they do.

        First come, first served: an order reserves only once every earlier order of the batch that
        wants one of its skus has settled its stock (reserved all its lines, or been rejected and given
        them back), so concurrency never lets a later order take stock an earlier one would have had.
        Loading the order before that wait, and confirming it after its stock settled, stay outside
        the chain: neither changes what stock a later order sees. Each decision is idempotent: when
        `handle` meets the same OrderCreated in order it skips an order decided here and moves on; a
        decision that failed here (or waited on one that failed) is taken again by `handle`, with the
        runner's retries and dead letters.
        """
        created = [event for event in events if isinstance(event.data, OrderCreated)]
        if len(created) < 2:
            return
        pool = _decision_pool.get()
        settled_for_sku: dict[str, Future[Exception | None]] = {}
        decisions = []
        for event in created:
            skus = {line.sku for line in event.data.lines}
            earlier = [settled_for_sku[sku] for sku in skus if sku in settled_for_sku]
            settled: Future[Exception | None] = Future()
            decision = pool.submit(self._decide_after, event, earlier, settled)
            settled_for_sku.update(dict.fromkeys(skus, settled))
            decisions.append((event, decision))
        for event, decision in decisions:
            if (error := decision.result()) is not None:
                log.info("fulfillment will take order event %s again in order: %s", event.event_id, error)
            else:
                self._decided_ahead.add(event.event_id)

    def _decide_after(self, event: RecordedEvent, earlier: list[Future[Exception | None]],
                      settled: Future[Exception | None]) -> Exception | None:
        # Earlier decisions were submitted first, so the pool's FIFO queue never leaves them waiting
        # behind this one: no deadlock however few threads there are.
        def wait_for_earlier() -> None:
            if any(decision.result() is not None for decision in earlier):
                raise _EarlierUndecidedError("an earlier order for the same stock is not decided yet")

        def stock_settled() -> None:
            if not settled.done():
                settled.set_result(None)

        try:
            self._on_created(event, event.data, wait_for_earlier=wait_for_earlier, stock_settled=stock_settled)
        except Exception as error:  # handle() meets this event next and owns retries and dead letters
            if not settled.done():
                settled.set_result(error)
            return error
        stock_settled()
        return None

    # -- OrderCreated ---------------------------------------------------------------------------

    def _on_created(self, event: RecordedEvent, created: OrderCreated, *,
                    wait_for_earlier: Callable[[], None] = _nothing,
                    stock_settled: Callable[[], None] = _nothing) -> None:
        order_id = created.order_id
        order = self._load_order(order_id)
        if order.status is not OrderStatus.PENDING:
            # Decided already (by an earlier run of this event, or by staff), or cancelled: the
            # OrderRejected / OrderCancelled event that follows in $all gives the stock back.
            log.debug("order %s is %s, not PENDING: nothing to decide", order_id, order.status)
            return
        wait_for_earlier()
        short: list[UnavailableLine] = []
        for line in created.lines:
            if short:
                # Already rejected: only find out which other lines are short, without holding stock.
                missing = self._shortfall(line, order_id=order_id)
                if missing is not None:
                    short.append(missing)
                continue
            try:
                self._send(ReserveStock(sku=line.sku, order_id=order_id, quantity=line.quantity), event,
                           step=f"reserve:{line.sku}")
            except InsufficientStockError as refused:
                short.append(UnavailableLine(line.sku, refused.requested, refused.available))
        if not short:
            stock_settled()  # every line is held: later orders may reserve while this one is confirmed
            self._decide(ConfirmOrder(order_id=order_id), event, step="confirm")
            return
        reason = "not enough stock for " + ", ".join(line.sku for line in short)
        if self._decide(RejectOrder(order_id=order_id, reason=reason, unavailable_lines=tuple(short)), event,
                        step="reject"):
            # Recorded first, released second: a crash in between leaves a REJECTED order whose
            # OrderRejected event releases everything again (a no-op for what is already back).
            self._release(event, created.lines, order_id=order_id)

    def _shortfall(self, line: OrderLine, *, order_id: UUID) -> UnavailableLine | None:
        inventory = AggregateRepository(self.store).load(Inventory, line.sku).aggregate
        if order_id in inventory.reservations or line.quantity <= inventory.available:
            return None
        return UnavailableLine(line.sku, line.quantity, max(inventory.available, 0))

    def _decide(self, command: ConfirmOrder | RejectOrder, event: RecordedEvent, *, step: str) -> bool:
        """Send a decision; False (logged) when the order moved on meanwhile, e.g. it was cancelled."""
        try:
            self._send(command, event, step=step)
        except (InvalidTransitionError, OrderNotFoundError) as refused:
            log.info("fulfillment could not %s order %s: %s", step, command.order_id, refused)
            return False
        return True

    # -- stock ----------------------------------------------------------------------------------

    def _release(self, event: RecordedEvent, lines: Iterable[OrderLine], *, order_id: UUID) -> None:
        # ReleaseStock is a no-op for a sku the order holds nothing of, so every line is asked.
        for line in lines:
            self._send(ReleaseStock(sku=line.sku, order_id=order_id), event, step=f"release:{line.sku}")

    def _lines_of(self, order_id: UUID) -> tuple[OrderLine, ...]:
        return self._load_order(order_id).lines

    def _load_order(self, order_id: UUID) -> Order:
        order = AggregateRepository(self.store).load(Order, order_id).aggregate
        assert isinstance(order, Order)
        return order

    def _send(self, command: Command, event: RecordedEvent, *, step: str) -> CommandResult:
        # Event ids derive from the triggering event; no result record is kept, because a repeated
        # step is already harmless: a second reservation for the order is a no-op, and an order
        # that is no longer PENDING is never decided again (see the module docstring).
        return dispatch(command, actor=FULFILLMENT_ACTOR, idempotency_key=f"{event.event_id}:{step}",
                        correlation_id=event.metadata.correlation_id, causation_id=event.event_id,
                        store=self.store, remember_result=False)


# Threads (and their event store clients) are reused; a forked child makes its own pool.
_decision_pool = connections.per_process(
    "orders.fulfillment.decisions",
    lambda: ThreadPoolExecutor(max_workers=PARALLEL_DECISIONS, thread_name_prefix="fulfillment"))
