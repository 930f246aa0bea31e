"""Read models on CustomerErased: the customer's personal fields read "[erased]", the books stay.

Given an erased customer's orders, when projected, then every personal value reads "[erased]"
(address parts but the country, contact email, a cancellation reason the customer wrote) while
status, totals and lines are unchanged; another customer's orders are untouched; projecting the
same events twice gives the same read model; and a rebuild after the erasure, whose events then
decode with "[erased]" in their personal fields, gives the same read model as erasing live.
"""
from __future__ import annotations

import json
from dataclasses import replace
from uuid import UUID

import pytest

from eventlog.memory_writer import DictReadModelWriter
from eventlog.pii import ERASED, keyring
from eventlog.registry import registry
from eventlog.subscriptions.base import SubscriberSpec
from eventlog.subscriptions.partitions import partition_of_stream, partitions_of
from orders.domain.events import (
    CustomerErased,
    OrderCancelled,
    OrderConfirmed,
    OrderCreated,
    OrderPaid,
    ShippingAddressCorrected,
)
from projections.customer_timeline import CustomerTimelineProjection, timeline_key
from projections.orders import OrderSummaryProjection, load_summary, summary_key
from tests.unit.builders import ADDRESS, CUSTOMER, CUSTOMER_ID, EMAIL, NEW_ADDRESS, ORDER_ID, STAFF, TOTAL, created
from tests.unit.test_projections import Log, twice

OTHER_ID = UUID("8a2a6c1e-0000-4000-8000-000000000009")
OTHER_CUSTOMER = "77"
ORDER, OTHER, CUSTOMER_STREAM = f"order-{ORDER_ID}", f"order-{OTHER_ID}", f"customer-{CUSTOMER_ID}"
REASON = "Bought the wrong colour"
PROJECTIONS = (OrderSummaryProjection, CustomerTimelineProjection)


def _story(*, decoded_after_erasure: bool = False) -> list:
    """Customer 42: an order placed, its address corrected by staff, paid, cancelled by the customer; customer
    77: an order of their own; then 42 is erased. `decoded_after_erasure`: the same events as a rebuild reads
    them once 42's key is destroyed (sealed by the codec, then opened: personal fields "[erased]")."""
    log = Log()
    other = replace(created(OTHER_ID), customer_id=OTHER_CUSTOMER)
    events = [
        (ORDER, created()),
        (OTHER, other),
        (ORDER, OrderConfirmed(ORDER_ID)),
        (ORDER, ShippingAddressCorrected(ORDER_ID, NEW_ADDRESS, STAFF, "moved")),
        (ORDER, OrderPaid(ORDER_ID, TOTAL, "pay-1")),
        (ORDER, OrderCancelled(ORDER_ID, REASON, CUSTOMER, TOTAL)),
    ]
    if decoded_after_erasure:
        sealed = [(stream, registry.encode(event, subject=event.customer_id if isinstance(event, OrderCreated)
                                           else OTHER_CUSTOMER if stream == OTHER else CUSTOMER_ID))
                  for stream, event in events]
        keyring().destroy(CUSTOMER_ID)
        events = [(stream, registry.decode(data, event_type=event_type.name, schema_version=event_type.schema_version,
                                           stream_name=stream, stream_position=0))
                  for stream, (event_type, data) in sealed]
    return [*(log(stream, event) for stream, event in events),
            log(CUSTOMER_STREAM, CustomerErased(customer_id=CUSTOMER_ID, erased_by=CUSTOMER))]


def test_the_order_summary_reads_erased_and_keeps_the_books() -> None:
    writer = twice(OrderSummaryProjection(), _story())
    summary = load_summary(writer.get_doc(summary_key(ORDER_ID)))
    address = summary.shipping_address
    # Every part but the country, blank ones too (the event log seals those as well).
    assert (address.recipient_name, address.line1, address.line2, address.city, address.postal_code,
            address.phone) == (ERASED,) * 6
    assert address.country == "GB"
    assert (summary.contact_email, summary.cancellation_reason) == (ERASED, ERASED)
    assert (summary.status.value, summary.total, summary.refund_amount, summary.version) == (
        "CANCELLED", TOTAL, TOTAL, 4)
    assert [line.sku for line in summary.lines] == ["MUG-1", "TEA-2"]
    assert (summary.amount_paid, summary.payment_reference) == (TOTAL, "pay-1")


def test_another_customers_order_is_untouched() -> None:
    for projection in PROJECTIONS:
        writer = twice(projection(), _story())
        text = json.dumps(writer.state())
        assert EMAIL in text and ADDRESS.line1 in text, projection  # customer 77's order, same test address
        key = summary_key(OTHER_ID) if projection is OrderSummaryProjection else timeline_key(OTHER_ID)
        assert ERASED not in json.dumps(writer.get_doc(key))


def test_a_staff_reason_is_erased_too_as_the_event_log_seals_every_reason() -> None:
    log = Log()
    events = [log(ORDER, created()), log(ORDER, OrderCancelled(ORDER_ID, "carrier lost it", STAFF, None)),
              log(CUSTOMER_STREAM, CustomerErased(customer_id=CUSTOMER_ID, erased_by=STAFF))]
    summary = load_summary(twice(OrderSummaryProjection(), events).get_doc(summary_key(ORDER_ID)))
    assert (summary.cancellation_reason, summary.contact_email, summary.status.value) == (ERASED, ERASED,
                                                                                          "CANCELLED")


@pytest.mark.parametrize("projection", PROJECTIONS, ids=lambda p: p.__name__)
def test_no_personal_value_of_the_erased_customer_is_left(projection) -> None:
    writer = twice(projection(), _story())
    key = summary_key(ORDER_ID) if projection is OrderSummaryProjection else timeline_key(ORDER_ID)
    text = json.dumps(writer.get_doc(key))
    if projection is CustomerTimelineProjection:
        text += json.dumps(writer.get_doc(f"state:{ORDER_ID}"))
    for value in (EMAIL, REASON, ADDRESS.recipient_name, ADDRESS.line1, ADDRESS.line2, ADDRESS.phone,
                  ADDRESS.postal_code, NEW_ADDRESS.line1, "London"):
        assert value not in text, f"{value!r} left in {projection.__name__}"


@pytest.mark.parametrize("projection", PROJECTIONS, ids=lambda p: p.__name__)
def test_a_rebuild_after_erasure_gives_the_same_read_model(projection) -> None:
    live = twice(projection(), _story())
    rebuilt = twice(projection(), _story(decoded_after_erasure=True))
    assert rebuilt.state() == live.state()


@pytest.mark.parametrize("projection", PROJECTIONS, ids=lambda p: p.__name__)
def test_an_order_created_in_the_same_batch_as_the_erasure_is_erased(projection) -> None:
    # The customer index is read through the batch's own pending writes (here: the dict writer, at once).
    log = Log()
    events = [log(ORDER, created()), log(CUSTOMER_STREAM, CustomerErased(customer_id=CUSTOMER_ID, erased_by=STAFF))]
    writer = DictReadModelWriter(name=projection.spec.name)
    for event in events:
        projection().handle(event, writer)
    assert EMAIL not in json.dumps(writer.state())


def test_every_partition_reads_the_customer_streams_and_none_owns_them() -> None:
    spec = OrderSummaryProjection.spec
    for count in (1, 2, 4, 16):
        parts = partitions_of(spec, count)
        assert all("customer-" in part.stream_prefixes for part in parts)
        assert partition_of_stream(spec, ORDER, count).index == int(str(ORDER_ID)[0], 16) * count // 16
        if count > 1:
            with pytest.raises(ValueError, match="no partition"):
                partition_of_stream(spec, CUSTOMER_STREAM, count)


def test_broadcast_prefixes_need_stream_prefixes() -> None:
    with pytest.raises(ValueError, match="broadcast_prefixes"):
        SubscriberSpec(name="x", broadcast_prefixes=("customer-",))


def test_an_erased_customer_with_no_orders_changes_nothing() -> None:
    log = Log()
    for projection in PROJECTIONS:
        writer = twice(projection(), [log(CUSTOMER_STREAM, CustomerErased(customer_id="9", erased_by=STAFF))])
        assert writer.state() == DictReadModelWriter().state()
