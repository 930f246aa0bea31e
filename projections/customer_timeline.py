"""Read model "customer_timeline": each order's history as its customer sees it, so customer pages never read the store.

Every order event is folded into the order's state and turned into the customer's entry by
`orders.redaction` (the same definition `orders.visibility` applies to timelines read from the
store): no staff notes, no staff identities, no event metadata, nothing this code cannot describe.

Relative keys (the writer scopes them to `rm:customer_timeline:g<gen>:`):

    timeline:<order_id>    JSON {order_id, customer_id, last_version, last_position, records}: one
                           record per event applied, oldest first; an event the customer sees is its
                           entry (`orders.redaction.to_document`, `shown: true`); one they do not see
                           is only its version (`shown: false`), plus the customer's `state` after it
                           if that changed, so a window that ends on it shows the right state
    state:<order_id>       JSON {version, state}: the order's full state after the last event, which
                           the next event is applied to, with staff-only fields (notes) kept empty.
                           Working state of this projection only: no selector reads it
    idx:customer:<customer_id>  sorted set: the customer's order ids (scored by the commit position of
                           the order's first event), so an erasure finds their timelines

When a customer is erased (`CustomerErased`, stream `customer-<id>`, read by every partition), every
personal value of their orders (address parts but the country, contact email, cancellation reason)
reads "[erased]" in entries, descriptions, states and the working state, and a change that no longer
changes anything is dropped: what a rebuild gives, whose events then decode with "[erased]".

Events of a type this code does not know never reach a projection (the runner goes past them);
the next event's version shows where one was, and it gets a record without state (it changed
none), so windows count it as the store's timelines do. Only an unknown event that is an order's
newest is not counted until the next one arrives.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventlog.envelope import RecordedEvent
from eventlog.pii import ERASED
from eventlog.subscriptions.base import ReadModelWriter, SubscriberSpec
from eventlog.timeline import build_timeline
from orders.domain.addresses import ShippingAddress
from orders.domain.events import CustomerErased
from orders.domain.order import Order
from orders.redaction import (
    STAFF_ONLY_FIELDS,
    VisibleTimeline,
    customer_entry,
    from_document,
    to_document,
    visible_state,
)

__all__ = ["NAME", "CustomerTimeline", "CustomerTimelineProjection", "customer_index", "state_key", "timeline_key",
           "window"]

NAME = "customer_timeline"
# The stored state is Order's snapshot: a new snapshot schema changes this read model too, so it is
# part of the version (a deploy then rebuilds it blue/green). Raise the first number for changes here.
# 2: the customer index (idx:customer:<id>) and erasure
VERSION = 2 * 1000 + Order.SNAPSHOT_SCHEMA
STREAM_PREFIX = "order-"
CUSTOMER_PREFIX = "customer-"  # where CustomerErased lives; every partition reads it


def timeline_key(order_id: object) -> str:
    """Relative key of one order's customer timeline."""
    return f"timeline:{order_id}"


def state_key(order_id: object) -> str:
    """Relative key of the projection's working state of one order (never read by selectors)."""
    return f"state:{order_id}"


def customer_index(customer_id: str) -> str:
    """Relative key of the index of one customer's orders."""
    return f"idx:customer:{customer_id}"


class CustomerTimelineProjection:
    """The customer-visible steps of each order, with the state after each (orders/redaction.py decides)."""

    # Partitionable: each order's events touch only that order's two documents (and its index entry); an
    # erasure touches the customer's orders in every partition, so every partition reads `customer-`.
    spec = SubscriberSpec(name=NAME, stream_prefixes=(STREAM_PREFIX,), broadcast_prefixes=(CUSTOMER_PREFIX,),
                          version=VERSION, partitionable=True)

    def handle(self, event: RecordedEvent, writer: ReadModelWriter) -> None:
        """Apply one order event to the order's state and record what its customer sees of it; erase a customer's."""
        if isinstance(event.data, CustomerErased) and event.stream_name.startswith(CUSTOMER_PREFIX):
            self._erased(event.data, writer)
            return
        # The server-side filter is a prefix regex that can also match e.g. `snapshot-order-...`.
        if not event.stream_name.startswith(STREAM_PREFIX):
            return
        order_id = event.aggregate_id
        working = writer.get_doc(state_key(order_id))
        if working is not None and event.stream_position <= int(working["version"]):
            return  # already applied; keeps the read model idempotent whatever the runner does
        order = Order(UUID(order_id)) if working is None else Order.from_snapshot(working["state"],
                                                                                  int(working["version"]))
        (entry,) = build_timeline(order, [event])
        doc = writer.get_doc(timeline_key(order_id)) or {
            "order_id": order_id, "customer_id": "", "last_version": -1, "last_position": -1, "records": []}
        records: list[dict[str, Any]] = doc["records"]
        # Versions skipped were events of a type this code does not know (the runner goes past them):
        # the customer sees nothing of them, and they changed no state, but they count in windows.
        records.extend({"version": skipped, "shown": False}
                       for skipped in range(int(doc["last_version"]) + 1, event.stream_position))
        shown = customer_entry(entry)
        if shown is not None:
            records.append({**to_document(shown), "shown": True})
        else:
            record: dict[str, Any] = {"version": event.stream_position, "shown": False}
            state = visible_state(entry.state, staff=False)
            if state != _state_at(records, None):
                record["state"] = state
            records.append(record)
        known_customer = doc["customer_id"]
        doc.update(customer_id=str(entry.state.get("customer_id") or known_customer),
                   last_version=event.stream_position, last_position=event.commit_position)
        if doc["customer_id"] and doc["customer_id"] != known_customer:
            writer.zadd(customer_index(doc["customer_id"]), {order_id: event.commit_position})
        writer.set_doc(timeline_key(order_id), doc)
        writer.set_doc(state_key(order_id), {"version": event.stream_position, "state": _working(order.snapshot())})

    def _erased(self, erased: CustomerErased, writer: ReadModelWriter) -> None:
        for order_id in writer.zmembers(customer_index(erased.customer_id)):
            doc, working = writer.get_doc(timeline_key(order_id)), writer.get_doc(state_key(order_id))
            if doc is None or working is None:
                continue
            erased_doc = {**doc, "records": [_erase_record(record) for record in doc["records"]]}
            erased_state = _erase_state(working["state"])
            if erased_doc != doc:
                writer.set_doc(timeline_key(order_id), erased_doc)
            if erased_state != working["state"]:
                writer.set_doc(state_key(order_id), {**working, "state": erased_state})


@dataclass(frozen=True, slots=True)
class CustomerTimeline:
    """A window of an order's history as its customer sees it, and whose order it is."""

    customer_id: str
    last_position: int  # commit position of the newest event applied
    timeline: VisibleTimeline


def window(doc: Mapping[str, Any], *, from_version: int | None = None, to_version: int | None = None,
           limit: int = 100) -> CustomerTimeline | None:
    """Events `from_version` to `to_version` (at most `limit`), windowed as `orders.timelines.stream_timeline` does.

    `from_version` None: the newest `limit` events (as `orders.timelines.newest_timeline`). None when
    the window starts after the order's last version (as the store answers).
    """
    last_version = int(doc["last_version"])
    if from_version is None:
        from_version = max(0, last_version - limit + 1)
    records = [r for r in doc["records"]
               if r["version"] >= from_version and (to_version is None or r["version"] <= to_version)][:limit]
    if not records and from_version > last_version:
        return None
    end = records[-1]["version"] if records else None
    order_id = str(doc["order_id"])
    timeline = VisibleTimeline(
        stream_name=f"{Order.STREAM_PREFIX}-{order_id}", kind=Order.KIND, aggregate_id=order_id,
        last_version=last_version, window_end=end,
        entries=tuple(from_document(r) for r in records if r["shown"]),
        state={} if end is None else _state_at(doc["records"], end))
    return CustomerTimeline(customer_id=str(doc["customer_id"]), last_position=int(doc["last_position"]),
                            timeline=timeline)


# Where an order's personal values are (what the event log seals, orders.domain.events' PERSONAL_FIELDS): in
# its state, and in the data of the events that carry them. The country of an address stays.
_STATE_FIELDS = ("contact_email", "cancellation_reason")
_EVENT_FIELDS: Mapping[str, tuple[str, ...]] = {"OrderCreated": ("contact_email",), "OrderCancelled": ("reason",)}


def _erased_value(value: Any) -> Any:
    return None if value is None else ERASED


def _erased_address(address: Any) -> Any:
    if not isinstance(address, Mapping):
        return address
    return {name: value if name == "country" else _erased_value(value) for name, value in address.items()}


def _erase_state(state: Mapping[str, Any]) -> dict[str, Any]:
    erased = {**state, **{name: _erased_value(state[name]) for name in _STATE_FIELDS if name in state}}
    if "shipping_address" in state:
        erased["shipping_address"] = _erased_address(state["shipping_address"])
    return erased


def _erase_change(path: str, value: Any) -> Any:
    top, _, part = path.partition(".")
    if top == "shipping_address":
        return _erased_address(value) if not part else value if part == "country" else _erased_value(value)
    return _erased_value(value) if path in _STATE_FIELDS else value


def _erase_record(record: dict[str, Any]) -> dict[str, Any]:
    """One stored record as a rebuild gives it after the erasure (events decoded with "[erased]")."""
    erased = dict(record)
    if "state" in record:
        erased["state"] = _erase_state(record["state"])
    if "data" in record:
        data = {**record["data"], **{name: _erased_value(record["data"][name])
                                     for name in _EVENT_FIELDS.get(record.get("event_type", ""), ())
                                     if name in record["data"]}}
        if "shipping_address" in data:
            data["shipping_address"] = _erased_address(data["shipping_address"])
        erased["data"] = data
        erased["description"] = _erased_description(record, data)
    if "changes" in record:
        # A change between two erased values changes nothing any more (a rebuild does not list it).
        changes = ([path, _erase_change(path, before), _erase_change(path, after)]
                   for path, before, after in record["changes"])
        erased["changes"] = [change for change in changes if change[1] != change[2]]
    return erased


def _erased_description(record: Mapping[str, Any], data: Mapping[str, Any]) -> str:
    """The entry's sentence (orders.wording) with the erased values in it: a reason, or the corrected address."""
    description = str(record["description"])
    if record.get("event_type") == "OrderCancelled" and isinstance(record["data"].get("reason"), str):
        return description.replace(record["data"]["reason"], ERASED, 1) if record["data"]["reason"] else description
    if record.get("event_type") == "ShippingAddressCorrected" and isinstance(data.get("shipping_address"), Mapping):
        # "... now <line1>, <line2>, <postal code> <city>, <country>": every part but the country reads [erased]
        # (a blank line too: the event log seals it as well), so the sentence is written again from them.
        address = ShippingAddress(**data["shipping_address"])
        return f"{description.partition(' now ')[0]} now {', '.join(address.as_lines()[1:])}"
    return description


def _working(snapshot: dict[str, Any]) -> dict[str, Any]:
    # Staff-only fields (the notes) are kept empty: no customer output depends on them (the test
    # comparing this read model with orders.visibility proves it), so their text never lands here.
    return {name: type(value)() if name in STAFF_ONLY_FIELDS and isinstance(value, list | dict | str | int) else value
            for name, value in snapshot.items()}


def _state_at(records: list[dict[str, Any]], version: int | None) -> dict[str, Any]:
    """The customer's state after `version` (None: after the last record)."""
    for record in reversed(records):
        if (version is None or record["version"] <= version) and "state" in record:
            return dict(record["state"])
    return {}
