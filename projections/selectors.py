"""The only read API of the read models, for pages, admin and the API (none of them imports redis).

Every function reads the live generation of its read model (`sub:<name>:generation`, absent = 1)
from the Django "default" cache's Redis, or from `client` when one is given (tests, scripts).
Unknown ids give None or an empty result, never an error. Money comes back as Decimal, times as
aware UTC datetimes, ids as UUIDs.
"""
from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, cast
from uuid import UUID

import redis

from eventlog.subscriptions import keys
from eventlog.subscriptions.partitions import partition_index, scope_name, scopes
from orders.domain.values import OrderStatus
from projections import customer_timeline, inventory, sales
from projections import orders as orders_read_model
from projections.customer_timeline import CustomerTimeline
from projections.fields import from_cents, parse_time
from projections.orders import OrderSummary, Tracking, load_summary

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "MAX_DAYS",
    "MAX_PAGE_SIZE",
    "CustomerTimeline",
    "DailySales",
    "InvalidCursorError",
    "OrderPage",
    "OrderSummary",
    "ProductSales",
    "StockLevel",
    "Tracking",
    "count_orders_by_status",
    "get_customer_order",
    "get_customer_timeline",
    "get_order",
    "get_stock_level",
    "list_low_stock",
    "list_orders",
    "list_orders_by_customer",
    "list_orders_by_status",
    "list_stock_levels",
    "sales_by_day",
    "top_products",
]

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
MAX_DAYS = 366  # longest range sales_by_day answers in one call
_CURSOR_PREFIX = "o1:"


class InvalidCursorError(ValueError):
    """A pagination cursor that this module did not hand out (an API maps it to 400)."""


# -- result types ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OrderPage:
    """One page of orders, newest first; pass `next_cursor` back for the next (None: last page)."""

    items: tuple[OrderSummary, ...]
    next_cursor: str | None
    total: int | None  # orders in the whole listing, not just this page (None: not counted)


@dataclass(frozen=True, slots=True)
class StockLevel:
    """Stock of one sku."""

    sku: str
    on_hand: int
    reserved: int
    available: int
    is_low: bool
    version: int
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class DailySales:
    """One UTC day's figures (see projections/sales.py for what is counted when)."""

    day: date
    orders_created: int = 0
    orders_paid: int = 0
    orders_cancelled: int = 0
    orders_refunded: int = 0
    orders_rejected: int = 0
    revenue: Mapping[str, Decimal] = field(default_factory=dict)  # currency -> amount paid that day
    refunds: Mapping[str, Decimal] = field(default_factory=dict)  # currency -> amount refunded that day
    created_by_currency: Mapping[str, int] = field(default_factory=dict)  # currency -> orders created that day
    paid_by_currency: Mapping[str, int] = field(default_factory=dict)  # currency -> orders paid that day

    @property
    def currencies(self) -> list[str]:
        """Every currency with a figure on this day, sorted."""
        return sorted(set(self.revenue) | set(self.refunds) | set(self.created_by_currency)
                      | set(self.paid_by_currency))

    @property
    def net_revenue(self) -> dict[str, Decimal]:
        """Revenue minus refunds, per currency."""
        currencies = sorted(set(self.revenue) | set(self.refunds))
        zero = Decimal("0.00")
        return {c: self.revenue.get(c, zero) - self.refunds.get(c, zero) for c in currencies}


@dataclass(frozen=True, slots=True)
class ProductSales:
    """Units of one sku sold (on paid, not refunded orders)."""

    sku: str
    units: int


# -- orders ---------------------------------------------------------------------------------------


def get_order(order_id: UUID | str, *, client: redis.Redis | None = None) -> OrderSummary | None:
    """The summary of one order, None if there is no such order (or the id is malformed)."""
    try:
        order_id = order_id if isinstance(order_id, UUID) else UUID(str(order_id))
    except ValueError:
        return None
    doc = _live_doc(client, orders_read_model.NAME, orders_read_model.summary_key(order_id), owner=order_id)
    return None if doc is None else load_summary(doc)


def get_customer_order(order_id: UUID | str, *, limit: int = 100, client: redis.Redis | None = None
                       ) -> tuple[OrderSummary | None, CustomerTimeline | None]:
    """An order's summary and the newest `limit` events of its customer timeline, in one Redis round trip."""
    try:
        order_id = order_id if isinstance(order_id, UUID) else UUID(str(order_id))
    except ValueError:
        return None, None
    summary_doc, timeline_doc = _live_docs(client, [
        (orders_read_model.NAME, orders_read_model.summary_key(order_id), order_id),
        (customer_timeline.NAME, customer_timeline.timeline_key(order_id), order_id)])
    return (None if summary_doc is None else load_summary(summary_doc),
            None if timeline_doc is None else customer_timeline.window(timeline_doc, limit=limit))


def get_customer_timeline(order_id: UUID | str, *, from_version: int | None = None, to_version: int | None = None,
                          limit: int = 100, client: redis.Redis | None = None) -> CustomerTimeline | None:
    """A window of an order's history as its customer sees it (orders/redaction.py), None if there is none.

    Windows as the store's timelines do: events `from_version` to `to_version`, at most `limit` of them
    (events the customer does not see count too); no `from_version`: the newest `limit` events.
    Whose order it is comes with it: check it.
    """
    try:
        order_id = order_id if isinstance(order_id, UUID) else UUID(str(order_id))
    except ValueError:
        return None
    doc = _live_doc(client, customer_timeline.NAME, customer_timeline.timeline_key(order_id), owner=order_id)
    if doc is None:
        return None
    return customer_timeline.window(doc, from_version=from_version, to_version=to_version, limit=limit)


def list_orders(*, cursor: str | None = None, page_size: int = DEFAULT_PAGE_SIZE,
                client: redis.Redis | None = None) -> OrderPage:
    """All orders, newest first."""
    return _order_page(orders_read_model.ALL_INDEX, cursor=cursor, page_size=page_size, client=client)


def list_orders_by_customer(customer_id: str, *, cursor: str | None = None, page_size: int = DEFAULT_PAGE_SIZE,
                            client: redis.Redis | None = None) -> OrderPage:
    """One customer's orders, newest first (an unknown customer has an empty page)."""
    return _order_page(orders_read_model.customer_index(customer_id), cursor=cursor, page_size=page_size, client=client)


def list_orders_by_status(status: OrderStatus | str, *, cursor: str | None = None,
                          page_size: int = DEFAULT_PAGE_SIZE, client: redis.Redis | None = None) -> OrderPage:
    """Orders currently in `status`, newest first (an unknown status has an empty page)."""
    try:
        status = OrderStatus(status)
    except ValueError:
        _decode_cursor(cursor)
        return OrderPage((), None, 0)
    return _order_page(orders_read_model.status_index(status.value), cursor=cursor, page_size=page_size, client=client)


def count_orders_by_status(*, client: redis.Redis | None = None) -> dict[OrderStatus, int]:
    """How many orders are in each status (every status present, zeros included)."""
    reader = _Reader(client, orders_read_model.NAME)
    pipe = reader.client.pipeline(transaction=True)
    for status in OrderStatus:
        for key in reader.keys_everywhere(orders_read_model.status_index(status.value)):
            pipe.zcard(key)
    counts = iter(pipe.execute())
    return {status: sum(int(next(counts)) for _ in range(reader.count)) for status in OrderStatus}


def _order_page(index: str, *, cursor: str | None, page_size: int, client: redis.Redis | None) -> OrderPage:
    before = _decode_cursor(cursor)
    size = max(1, min(int(page_size), MAX_PAGE_SIZE))
    reader = _Reader(client, orders_read_model.NAME)
    pipe = reader.client.pipeline(transaction=True)
    for key in reader.keys_everywhere(index):  # one index per partition: merge their newest
        pipe.zrevrangebyscore(key, "+inf" if before is None else f"({before}", "-inf",
                              start=0, num=size + 1, withscores=True)
        pipe.zcard(key)
    replies = pipe.execute()
    rows = [row for reply in replies[0::2] for row in _scored(reply)]
    if reader.count > 1:
        rows = sorted(rows, key=lambda row: row[1], reverse=True)[:size + 1]
    total = sum(int(n) for n in replies[1::2])
    page = rows[:size]
    ids = [_text(member) for member, _ in page]
    docs = reader.docs([orders_read_model.summary_key(order_id) for order_id in ids], owners=ids)
    items = tuple(load_summary(doc) for doc in docs if doc is not None)
    next_cursor = _encode_cursor(int(page[-1][1])) if len(rows) > size else None
    return OrderPage(items, next_cursor, int(total))


def _encode_cursor(position: int) -> str:
    return base64.urlsafe_b64encode(f"{_CURSOR_PREFIX}{position}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str | None) -> int | None:
    if cursor is None or cursor == "":
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidCursorError("malformed page cursor") from None
    digits = text[len(_CURSOR_PREFIX):]
    if not text.startswith(_CURSOR_PREFIX) or not (digits.isascii() and digits.isdigit() and len(digits) <= 19):
        raise InvalidCursorError("malformed page cursor")
    return int(text[len(_CURSOR_PREFIX):])


# -- inventory ------------------------------------------------------------------------------------


def get_stock_level(sku: str, *, client: redis.Redis | None = None) -> StockLevel | None:
    """Stock of one sku, None if it has no stock history."""
    doc = _Reader(client, inventory.NAME).doc(inventory.level_key(sku))
    return None if doc is None else _stock(doc)


def list_stock_levels(*, client: redis.Redis | None = None) -> list[StockLevel]:
    """Stock of every sku with stock history, by sku."""
    reader = _Reader(client, inventory.NAME)
    skus = [_text(sku) for sku in _members(reader.client.zrange(reader.key(inventory.SKUS), 0, -1))]
    return [_stock(doc) for doc in reader.docs([inventory.level_key(sku) for sku in skus]) if doc is not None]


def list_low_stock(*, client: redis.Redis | None = None) -> list[StockLevel]:
    """Skus with at most `projections.inventory.LOW_STOCK_THRESHOLD` units available, fewest first."""
    reader = _Reader(client, inventory.NAME)
    skus = [_text(sku) for sku in _members(reader.client.zrange(reader.key(inventory.LOW_STOCK), 0, -1))]
    return [_stock(doc) for doc in reader.docs([inventory.level_key(sku) for sku in skus]) if doc is not None]


def _stock(doc: Mapping[str, Any]) -> StockLevel:
    available = int(doc["available"])
    return StockLevel(sku=doc["sku"], on_hand=int(doc["on_hand"]), reserved=int(doc["reserved"]),
                      available=available, is_low=available <= inventory.LOW_STOCK_THRESHOLD,
                      version=int(doc["version"]), updated_at=_time(doc["updated_at"]))


# -- sales ----------------------------------------------------------------------------------------


def sales_by_day(start: date, end: date, *, client: redis.Redis | None = None) -> list[DailySales]:
    """Figures for every UTC day from `start` to `end` inclusive (days without orders are zeros)."""
    if end < start:
        return []
    span = (end - start).days + 1
    if span > MAX_DAYS:
        raise ValueError(f"ask for at most {MAX_DAYS} days at a time, not {span}")
    reader = _Reader(client, sales.NAME)
    days = [start + timedelta(days=offset) for offset in range(span)]
    pipe = reader.client.pipeline(transaction=True)
    for day in days:
        pipe.hgetall(reader.key(sales.day_key(day)))
    return [_daily(day, raw) for day, raw in zip(days, pipe.execute(), strict=True)]


def top_products(*, limit: int = 10, start: date | None = None, end: date | None = None,
                 client: redis.Redis | None = None) -> list[ProductSales]:
    """Skus by units sold, most first (ties by sku); all time, or on orders paid between the given days."""
    limit = max(1, int(limit))
    reader = _Reader(client, sales.NAME)
    if start is None and end is None:
        rows = _scored(reader.client.zrevrange(reader.key(sales.UNITS_ALL), 0, -1, withscores=True))
    else:
        low = "-inf" if start is None else start.toordinal()
        high = "+inf" if end is None else end.toordinal()
        days = [_text(day) for day in _members(reader.client.zrangebyscore(reader.key(sales.DAYS), low, high))]
        day_keys = [reader.key(sales.units_key(date.fromisoformat(day))) for day in days]
        rows = _scored(reader.client.zunion(day_keys, withscores=True)) if day_keys else []
    ranked = sorted(((_text(sku), int(units)) for sku, units in rows if units > 0), key=lambda r: (-r[1], r[0]))
    return [ProductSales(sku, units) for sku, units in ranked[:limit]]


def _daily(day: date, raw: Mapping[Any, Any]) -> DailySales:
    fields = {_text(name): int(value) for name, value in raw.items()}

    def per_currency(prefix: str) -> dict[str, int]:
        return {name.split(":", 1)[1]: value for name, value in sorted(fields.items()) if name.startswith(prefix)}

    return DailySales(day=day, orders_created=fields.get("orders_created", 0),
                      orders_paid=fields.get("orders_paid", 0), orders_cancelled=fields.get("orders_cancelled", 0),
                      orders_refunded=fields.get("orders_refunded", 0),
                      orders_rejected=fields.get("orders_rejected", 0),
                      revenue={c: from_cents(v) for c, v in per_currency("revenue_cents:").items()},
                      refunds={c: from_cents(v) for c, v in per_currency("refund_cents:").items()},
                      created_by_currency=per_currency("orders_created:"),
                      paid_by_currency=per_currency("orders_paid:"))


# -- reading Redis --------------------------------------------------------------------------------


class _Reader:
    """One read model's live generation (and partition count) on one Redis client."""

    def __init__(self, client: redis.Redis | None, name: str) -> None:
        if client is None:
            from eventlog import connections

            client = connections.redis()
        self.client: redis.Redis = client
        self.name = name
        pointer, count = client.mget(keys.generation_pointer(name), keys.partition_count(name))
        self.generation = int(pointer) if pointer is not None else 1
        self.count = int(count) if count is not None else 1  # a partitioned read model's keys carry its hash tags

    def key(self, relative: str, *, owner: object = None) -> str:
        """The absolute key; `owner` (the aggregate id) says which partition holds it when there are several."""
        return _document_key(self.name, self.generation, self.count, relative, owner=owner)

    def keys_everywhere(self, relative: str) -> list[str]:
        """The key in every partition (an index each partition keeps for its own streams)."""
        return [keys.read_model_key(scope, self.generation, relative) for scope in scopes(self.name, self.count)]

    def doc(self, relative: str, *, owner: object = None) -> dict[str, Any] | None:
        raw = self.client.get(self.key(relative, owner=owner))
        return None if raw is None else json.loads(raw)

    def docs(self, relatives: Sequence[str], *, owners: Sequence[object] | None = None) -> list[dict[str, Any] | None]:
        if not relatives:
            return []
        owned = owners if owners is not None else [None] * len(relatives)
        absolute = [self.key(r, owner=o) for r, o in zip(relatives, owned, strict=True)]
        return [None if raw is None else json.loads(raw) for raw in self.client.mget(absolute)]


# The live layout (generation, partition count) of each read model as this process last saw it: a
# document read sends the pointer, the partition count and the document at this layout in one
# transaction (one round trip) and only reads again in the rare case that the layout changed (a
# rebuild switched generations or partitions).
_seen_layouts: dict[str, tuple[int, int]] = {}


def _live_doc(client: redis.Redis | None, name: str, relative: str, *, owner: object = None
              ) -> dict[str, Any] | None:
    """One document of a read model's live generation (`owner`: its aggregate id), normally in one round trip."""
    return _live_docs(client, [(name, relative, owner)])[0]


def _live_docs(client: redis.Redis | None, wanted: Sequence[tuple[str, str, object]]
               ) -> list[dict[str, Any] | None]:
    """Documents (read model name, relative key, owner) of the live generations, normally in one round trip."""
    if client is None:
        from eventlog import connections

        client = connections.redis()
    for _ in range(3):
        layouts = [_seen_layouts.get(name, (1, 1)) for name, _, _ in wanted]
        pipe = client.pipeline(transaction=True)
        for (name, relative, owner), (generation, count) in zip(wanted, layouts, strict=True):
            pipe.mget(keys.generation_pointer(name), keys.partition_count(name))
            pipe.get(_document_key(name, generation, count, relative, owner=owner))
        replies = pipe.execute()
        lives = [(int(pointer) if pointer is not None else 1, int(count) if count is not None else 1)
                 for pointer, count in replies[0::2]]
        if lives == layouts:
            return [None if raw is None else json.loads(raw) for raw in replies[1::2]]
        for (name, _, _), live in zip(wanted, lives, strict=True):
            _seen_layouts[name] = live
    return [_Reader(client, name).doc(relative, owner=owner) for name, relative, owner in wanted]


def _document_key(name: str, generation: int, count: int, relative: str, *, owner: object) -> str:
    """Where a document lives: in its owner's partition when the read model has several."""
    if count == 1:
        return keys.read_model_key(name, generation, relative)
    if owner is None:
        raise ValueError(f"{name} is partitioned: say which aggregate {relative!r} belongs to")
    return keys.read_model_key(scope_name(name, partition_index(owner, count), count), generation, relative)


# redis-py types a sorted-set read as "members, or (member, score) pairs" whatever `withscores` says;
# these two say which one the call asked for.
def _members(reply: object) -> list[bytes | str]:
    return cast("list[bytes | str]", reply)


def _scored(reply: object) -> list[tuple[bytes | str, float]]:
    return cast("list[tuple[bytes | str, float]]", reply)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _time(text: str) -> datetime:
    moment = parse_time(text)
    assert moment is not None
    return moment
