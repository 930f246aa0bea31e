"""Personal fields through the codec: sealed on encode (never in clear), opened on decode, placeholders otherwise."""
from __future__ import annotations

import json
from dataclasses import replace
from uuid import uuid4

import pytest

from eventlog.pii import ERASED, UNAVAILABLE, KeyringUnavailableError, MissingSubjectError, use_keyring
from eventlog.pii.master import LocalMasterKey, new_master_key
from eventlog.pii.memory import InMemoryKeyTable, in_memory_keyring
from eventlog.registry import registry
from orders.domain.commands import CancelOrder
from orders.domain.events import OrderCancelled, OrderConfirmed, OrderCreated, ShippingAddressCorrected
from orders.domain.order import Order
from orders.domain.values import Actor
from orders.handlers import dispatch
from orders.repository import AggregateRepository, snapshot_stream
from tests.unit.builders import ADDRESS, CUSTOMER, CUSTOMER_ID, ORDER_ID, STAFF, create_order, created
from tests.unit.conftest import catalogue

MARKER = "Zq7MarkerXv"


def marked() -> OrderCreated:
    """The standard order with a marker in every personal field."""
    address = replace(ADDRESS, recipient_name=f"Ada {MARKER}", line1=f"1 {MARKER} Street", line2=MARKER,
                      city=f"{MARKER}ton", postal_code=f"{MARKER}1", phone=f"+44 {MARKER}")
    return replace(created(), shipping_address=address, contact_email=f"{MARKER}@example.com")


def decode(event_type: str, data: bytes, *, schema_version: int = 2):
    return registry.decode(data, event_type=event_type, schema_version=schema_version,
                           stream_name=f"order-{ORDER_ID}", stream_position=0)


def test_no_personal_field_is_in_the_serialised_event_and_it_decodes_back_whole(store):
    event = marked()
    _, data = registry.encode(event, subject=CUSTOMER_ID)

    assert MARKER.encode() not in data
    payload = json.loads(data)
    assert payload["shipping_address"]["country"] == "GB"  # not personal: stays plain for the sales figures
    assert payload["customer_id"] == CUSTOMER_ID and payload["total"] == "18.25"
    assert decode("OrderCreated", data) == event


def test_each_sealing_is_fresh_so_equal_values_do_not_look_equal():
    _, first = registry.encode(marked(), subject=CUSTOMER_ID)
    _, second = registry.encode(marked(), subject=CUSTOMER_ID)

    assert json.loads(first)["contact_email"]["ct"] != json.loads(second)["contact_email"]["ct"]


def test_an_event_with_personal_fields_is_never_encoded_without_a_subject():
    with pytest.raises(MissingSubjectError, match="OrderCreated"):
        registry.encode(marked())
    with pytest.raises(MissingSubjectError):
        registry.encode(OrderCancelled(ORDER_ID, "moving house", CUSTOMER, None), subject="")
    assert registry.encode(OrderConfirmed(ORDER_ID))  # nothing personal: no subject needed


def test_without_a_master_key_nothing_is_written_and_the_error_says_why():
    refusing = in_memory_keyring(master=LocalMasterKey.from_text(""))
    with use_keyring(refusing), pytest.raises(KeyringUnavailableError, match="PII_MASTER_KEY is not set"):
        registry.encode(marked(), subject=CUSTOMER_ID)


def test_a_sealed_value_moved_to_another_field_or_tampered_with_reads_as_unavailable():
    _, data = registry.encode(marked(), subject=CUSTOMER_ID)
    payload = json.loads(data)
    address = payload["shipping_address"]
    address["city"], address["line1"] = address["line1"], address["city"]  # swapped between fields
    tampered = dict(payload["contact_email"])
    tampered["ct"] = tampered["ct"][:-6] + ("AAAA==" if not tampered["ct"].endswith("AAAA==") else "BBBB==")
    payload["contact_email"] = tampered

    event = decode("OrderCreated", json.dumps(payload).encode())

    assert (event.shipping_address.city, event.shipping_address.line1) == (UNAVAILABLE, UNAVAILABLE)
    assert event.contact_email == UNAVAILABLE
    assert event.shipping_address.recipient_name == f"Ada {MARKER}"  # untouched fields still open


def test_a_sealed_value_moved_into_another_event_type_does_not_open():
    _, created_data = registry.encode(marked(), subject=CUSTOMER_ID)
    corrected = ShippingAddressCorrected(ORDER_ID, ADDRESS, Actor.staff("7"), "typo")
    _, data = registry.encode(corrected, subject=CUSTOMER_ID)
    payload = json.loads(data)
    payload["shipping_address"]["line1"] = json.loads(created_data)["shipping_address"]["line1"]

    event = decode("ShippingAddressCorrected", json.dumps(payload).encode(), schema_version=1)

    assert event.shipping_address.line1 == UNAVAILABLE and event.shipping_address.city == ADDRESS.city


def test_a_destroyed_key_reads_as_erased_and_later_events_carry_no_personal_data(pii_keyring):
    _, data = registry.encode(marked(), subject=CUSTOMER_ID)

    assert pii_keyring.destroy(CUSTOMER_ID) is True
    event = decode("OrderCreated", data)
    _, after = registry.encode(OrderCancelled(ORDER_ID, f"because {MARKER}", STAFF, None), subject=CUSTOMER_ID)

    assert event.contact_email == ERASED and event.shipping_address.recipient_name == ERASED
    assert event.shipping_address.country == "GB" and event.total == created().total  # the books stay whole
    assert MARKER.encode() not in after and json.loads(after)["reason"] == ERASED
    assert pii_keyring.destroy(CUSTOMER_ID) is False and pii_keyring.is_erased(CUSTOMER_ID)


def test_under_a_wrong_master_key_values_read_as_unavailable_and_are_not_lost():
    table = InMemoryKeyTable()
    right = LocalMasterKey.from_text(new_master_key())
    with use_keyring(in_memory_keyring(master=right, table=table)):
        _, data = registry.encode(marked(), subject=CUSTOMER_ID)

    with use_keyring(in_memory_keyring(master=LocalMasterKey.from_text(new_master_key()), table=table)) as wrong:
        assert decode("OrderCreated", data).contact_email == UNAVAILABLE
        with pytest.raises(KeyringUnavailableError):  # neither for this customer ...
            registry.encode(marked(), subject=CUSTOMER_ID)
        with pytest.raises(KeyringUnavailableError, match="wrong PII_MASTER_KEY"):  # ... nor a new one
            registry.encode(replace(marked(), customer_id="99"), subject="99")
        assert not wrong.health().ok and "not configured" in wrong.health().detail

    with use_keyring(in_memory_keyring(master=right, table=table)):
        assert decode("OrderCreated", data) == marked()


def test_a_key_the_keyring_does_not_know_reads_as_unavailable():
    _, data = registry.encode(marked(), subject=CUSTOMER_ID)

    with use_keyring(in_memory_keyring()):
        event = decode("OrderCreated", data)

    assert event.contact_email == UNAVAILABLE and event.shipping_address.line1 == UNAVAILABLE


def test_plain_legacy_values_pass_through():
    legacy = json.dumps({"order_id": str(ORDER_ID), "customer_id": CUSTOMER_ID, "lines": [], "total": "0.00",
                         "currency": "EUR", "shipping_address": None, "contact_email": "old@example.com"})
    assert decode("OrderCreated", legacy.encode()).contact_email == "old@example.com"
    cancelled = json.dumps({"order_id": str(ORDER_ID), "reason": "changed my mind",
                            "cancelled_by": {"kind": "customer", "id": CUSTOMER_ID}, "refund_amount": None})
    assert decode("OrderCancelled", cancelled.encode(), schema_version=1).reason == "changed my mind"


def test_an_order_placed_through_dispatch_is_stored_sealed_and_loads_in_clear(store):
    address = replace(marked().shipping_address, phone="+44 20 7946 0000")  # a phone must be digits
    command = replace(create_order(), shipping_address=address, contact_email=marked().contact_email)
    dispatch(command, actor=CUSTOMER, store=store, catalogue=catalogue)
    dispatch(CancelOrder(ORDER_ID, reason=f"I moved to {MARKER}"), actor=CUSTOMER, store=store, catalogue=catalogue)

    raw = store.read_stream(Order.stream_name(ORDER_ID), decode=False)
    order = AggregateRepository(store).load(Order, ORDER_ID, use_cache=False).aggregate

    assert MARKER not in json.dumps([event.data for event in raw])
    assert order.contact_email == marked().contact_email and order.cancellation_reason == f"I moved to {MARKER}"


def test_snapshots_seal_the_personal_state_too(store, pii_keyring):
    dispatch(replace(create_order(), contact_email=f"{MARKER}@example.com"), actor=CUSTOMER, store=store,
             catalogue=catalogue)
    repository = AggregateRepository(store)
    repository.write_snapshot(repository.load(Order, ORDER_ID).aggregate)

    [raw] = store.read_stream(snapshot_stream(Order.stream_name(ORDER_ID)), decode=False)
    loaded = repository.load(Order, ORDER_ID, use_cache=False, as_of=0)

    assert MARKER not in json.dumps(raw.data) and raw.data["state"]["shipping_address"]["country"] == "GB"
    assert loaded.snapshot_version == 0 and loaded.aggregate.contact_email == f"{MARKER}@example.com"
    pii_keyring.destroy(CUSTOMER_ID)
    assert repository.load(Order, ORDER_ID, use_cache=False, as_of=0).aggregate.contact_email == ERASED


def test_a_new_subject_gets_its_own_key_and_cannot_open_anothers_values(pii_keyring):
    _, ours = registry.encode(marked(), subject=CUSTOMER_ID)
    _, theirs = registry.encode(replace(marked(), customer_id="43"), subject="43")

    assert json.loads(ours)["contact_email"]["key"] != json.loads(theirs)["contact_email"]["key"]
    pii_keyring.destroy("43")
    assert decode("OrderCreated", ours).contact_email == marked().contact_email
    assert decode("OrderCreated", theirs).contact_email == ERASED


def test_order_declares_its_customer_as_the_data_subject():
    order = Order.replay(ORDER_ID, [created()])
    assert order.data_subject == CUSTOMER_ID and Order(uuid4()).data_subject is None


def test_the_repositorys_cached_order_is_not_used_once_its_customer_is_erased(store, pii_keyring):
    dispatch(create_order(), actor=CUSTOMER, store=store, catalogue=catalogue)
    repository = AggregateRepository(store)
    assert repository.load(Order, ORDER_ID).aggregate.contact_email == created().contact_email  # from the cache

    pii_keyring.destroy(CUSTOMER_ID)
    order = repository.load(Order, ORDER_ID).aggregate

    assert order.contact_email == ERASED and order.shipping_address.line1 == ERASED


def test_many_subjects_do_not_grow_the_key_cache_for_ever(monkeypatch):
    from eventlog.pii import keys as keyring_module

    monkeypatch.setattr(keyring_module, "_CACHE_ENTRIES", 10)
    keys = in_memory_keyring(cache_seconds=0.0)  # every entry expired at once
    for n in range(50):
        keys.sealing_key(f"s-{n}")

    assert len(keys._cache.by_subject) + len(keys._cache.by_id) <= 12


def test_state_read_without_its_key_is_neither_cached_nor_written_back(store, pii_keyring):
    from orders.repository import recent_states

    dispatch(create_order(), actor=CUSTOMER, store=store, catalogue=catalogue)
    repository = AggregateRepository(store)
    recent_states.get().clear()

    with use_keyring(in_memory_keyring()):  # a keyring that does not have the customer's key
        order = repository.load(Order, ORDER_ID, use_cache=False).aggregate
        assert order.contact_email == UNAVAILABLE
        repository.remember(order)
        with pytest.raises(KeyringUnavailableError, match="not written"):
            repository.write_snapshot(order)
        assert repository.snapshot_if_due(order, previous_version=-100) is False  # skipped, never raises
        with pytest.raises(KeyringUnavailableError):
            registry.encode(replace(marked(), contact_email=UNAVAILABLE), subject=CUSTOMER_ID)

    assert repository.load(Order, ORDER_ID).aggregate.contact_email == created().contact_email


def test_a_key_table_that_fails_in_any_way_makes_values_unavailable_not_the_read_fail():
    class Broken(InMemoryKeyTable):
        def by_id(self, key_id):
            raise RuntimeError("no database in this process")

    _, data = registry.encode(marked(), subject=CUSTOMER_ID)
    with use_keyring(in_memory_keyring(table=Broken())):
        event = decode("OrderCreated", data)

    assert event.contact_email == UNAVAILABLE and event.total == created().total
