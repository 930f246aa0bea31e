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

A batch's new orders reserve together (`prepare_batch`): one ReserveStockForOrders per sku instead of
one ReserveStock per order line, decided by the aggregate at the stream's expected version like any
command; each StockReserved keeps the event id and causation its order's own ReserveStock would have
had, so either path recognises the other's work. An order that does not fit takes nothing there and
is decided one by one by `handle`, so the batch decides as the orders would one after another.

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
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from uuid import UUID, uuid4

from eventlog import connections
from eventlog.envelope import EventMetadata, RecordedEvent
from eventlog.ports import EventStorePort
from eventlog.subscriptions.base import ReadModelWriter, SubscriberSpec
from orders.domain.commands import (
    Command,
    ConfirmOrder,
    RejectOrder,
    ReleaseStock,
    Reservation,
    ReserveStock,
    ReserveStockForOrders,
    ShipStock,
)
from orders.domain.errors import InsufficientStockError, InvalidTransitionError, OrderNotFoundError
from orders.domain.events import (
    DomainEvent,
    OrderCancelled,
    OrderCreated,
    OrderRejected,
    OrderShipped,
    StockReserved,
)
from orders.domain.inventory import Inventory
from orders.domain.order import Order
from orders.domain.values import Actor, OrderLine, OrderStatus, UnavailableLine
from orders.handlers import CommandResult, dispatch
from orders.idempotency import first_event_id
from orders.repository import AggregateRepository

__all__ = ["FULFILLMENT_ACTOR", "NAME", "FulfillmentProcessManager"]

log = logging.getLogger(__name__)

NAME = "fulfillment"
STREAM_PREFIX = "order-"
FULFILLMENT_ACTOR = Actor("system", "fulfillment")
PARALLEL_DECISIONS = 8  # loads, per-sku reservations and confirmations of one batch run this many at once
DECIDED_AHEAD_REMEMBERED = 10_000  # OrderCreated events prepare_batch decided, so handle() need not reload them


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
        """Decide the batch's new orders with one reservation append per sku instead of one per order line.

        First come, first served, as if the orders were decided one by one in position order: the
        stock of every sku they want is loaded once, the orders are walked in order, and an order
        takes its units only if every one of its lines fits in what the earlier orders left (an order
        that would be rejected takes nothing, as the one-by-one path gives its units back). Then one
        ReserveStockForOrders per sku carries the reservations of the orders that fit; the Inventory
        aggregate decides each again at the stream's expected version (a conflict reloads and decides
        again), so the store, not this plan, guards against overselling. Each StockReserved keeps the
        event id and causation of that order's own ReserveStock, so a replay is recognised. Orders
        holding every line are then confirmed concurrently (independent streams).

        Every other new order (one that did not fit, or whose reservation or confirmation failed here)
        is left to `handle`, which meets it in order and takes the one-by-one path: it asks afresh,
        rejects naming the short lines and gives back what it held, with the runner's retries and
        dead letters. `handle` skips the orders decided here.
        """
        created = [event for event in events if isinstance(event.data, OrderCreated)]
        if len(created) < 2:
            return
        try:
            undecided = self._undecided(created)
            held = self._reserve_together(undecided)
            self._confirm_together([event for event in undecided if held.get(event.event_id, False)])
        except Exception as error:  # handle() meets these events next and owns retries and dead letters
            log.info("fulfillment will decide the batch's orders one by one: %s", error)

    def _undecided(self, created: list[RecordedEvent]) -> list[RecordedEvent]:
        """The PENDING orders among `created`; the others count as decided (their decision is in the store)."""
        orders = _decision_pool.get().map(lambda event: self._load_order(event.data.order_id), created)
        undecided = []
        for event, order in zip(created, orders, strict=True):
            if order.status is OrderStatus.PENDING:
                undecided.append(event)
            else:
                self._decided_ahead.add(event.event_id)
        return undecided

    def _reserve_together(self, created: list[RecordedEvent]) -> dict[UUID, bool]:
        """Reserve what fits, one append per sku; creation event id -> whether the order now holds every line."""
        skus = sorted({line.sku for event in created for line in event.data.lines})
        repository = AggregateRepository(self.store)
        stock = dict(zip(skus, _decision_pool.get().map(
            lambda sku: repository.load(Inventory, sku).aggregate, skus), strict=True))
        available = {sku: inventory.available for sku, inventory in stock.items()}
        wanted: dict[str, list[Reservation]] = {}
        causes: dict[UUID, RecordedEvent] = {}
        for event in created:
            order_id, lines = event.data.order_id, event.data.lines
            to_reserve = [line for line in lines if order_id not in stock[line.sku].reservations]
            if any(line.quantity > available[line.sku] for line in to_reserve):
                continue  # would be rejected: it takes nothing, and handle() decides it one by one
            for line in to_reserve:
                available[line.sku] -= line.quantity
                wanted.setdefault(line.sku, []).append(Reservation(order_id=order_id, quantity=line.quantity))
            causes[order_id] = event
        reserved = dict(zip(wanted, _decision_pool.get().map(
            lambda sku: self._reserve_for(sku, wanted[sku], causes), wanted), strict=True))
        return {
            event.event_id: all(event.data.order_id in stock[line.sku].reservations
                                or event.data.order_id in reserved.get(line.sku, ()) for line in event.data.lines)
            for event in created
        }

    def _reserve_for(self, sku: str, reservations: list[Reservation],
                     causes: dict[UUID, RecordedEvent]) -> frozenset[UUID]:
        """Send one sku's reservations in one command; the order ids it reserved for (none if it failed)."""
        def identity(reserved: DomainEvent) -> tuple[UUID, EventMetadata]:
            assert isinstance(reserved, StockReserved)
            cause = causes[reserved.order_id]
            key = _step_key(cause, step=f"reserve:{sku}")
            return (first_event_id(actor=FULFILLMENT_ACTOR, key=key),
                    EventMetadata(correlation_id=cause.metadata.correlation_id or uuid4(),
                                  causation_id=cause.event_id, actor=str(FULFILLMENT_ACTOR)))

        try:
            result = dispatch(ReserveStockForOrders(sku=sku, reservations=tuple(reservations)),
                              actor=FULFILLMENT_ACTOR, store=self.store, remember_result=False,
                              identify_events=identity)
        except Exception as error:  # these orders fall back to handle(), one by one
            log.info("fulfillment could not reserve %s for %d orders together: %s", sku, len(reservations), error)
            return frozenset()
        return frozenset(event.order_id for event in result.events if isinstance(event, StockReserved))

    def _confirm_together(self, held: list[RecordedEvent]) -> None:
        def confirm(event: RecordedEvent) -> Exception | None:
            try:
                self._decide(ConfirmOrder(order_id=event.data.order_id), event, step="confirm")
            except Exception as error:  # handle() meets this event next and owns retries and dead letters
                return error
            return None

        for event, error in zip(held, _decision_pool.get().map(confirm, held), strict=True):
            if error is None:
                self._decided_ahead.add(event.event_id)
            else:
                log.info("fulfillment will confirm order event %s again in order: %s", event.event_id, error)

    # -- OrderCreated ---------------------------------------------------------------------------

    def _on_created(self, event: RecordedEvent, created: OrderCreated) -> None:
        order_id = created.order_id
        order = self._load_order(order_id)
        if order.status is not OrderStatus.PENDING:
            # Decided already (by an earlier run of this event, or by staff), or cancelled: the
            # OrderRejected / OrderCancelled event that follows in $all gives the stock back.
            log.debug("order %s is %s, not PENDING: nothing to decide", order_id, order.status)
            return
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
        return dispatch(command, actor=FULFILLMENT_ACTOR, idempotency_key=_step_key(event, step=step),
                        correlation_id=event.metadata.correlation_id, causation_id=event.event_id,
                        store=self.store, remember_result=False)


def _step_key(event: RecordedEvent, *, step: str) -> str:
    """The idempotency key of one step taken because of `event`."""
    return f"{event.event_id}:{step}"


# Threads (and their event store clients) are reused; a forked child makes its own pool.
_decision_pool = connections.per_process(
    "orders.fulfillment.decisions",
    lambda: ThreadPoolExecutor(max_workers=PARALLEL_DECISIONS, thread_name_prefix="fulfillment"))
