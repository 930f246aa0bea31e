"""Customer aggregate: erasing a customer's personal data is recorded once, by whom, without the data."""
from __future__ import annotations

import dataclasses

import pytest

from orders.domain.commands import EraseCustomer
from orders.domain.customer import Customer
from orders.domain.errors import CommandValidationError, CustomerAlreadyErasedError, PermissionDeniedError
from orders.domain.events import CustomerErased
from orders.domain.routes import route_for
from tests.unit.builders import CUSTOMER, CUSTOMER_ID, OTHER_CUSTOMER, STAFF, SYSTEM
from tests.unit.gwt import given


def test_a_customer_erases_themselves() -> None:
    customer = given(Customer, CUSTOMER_ID).when(EraseCustomer(CUSTOMER_ID), actor=CUSTOMER).then(
        CustomerErased(customer_id=CUSTOMER_ID, erased_by=CUSTOMER))
    assert isinstance(customer, Customer)
    assert (customer.erased, customer.erased_by) == (True, CUSTOMER)


def test_staff_erase_a_customer_and_the_event_names_them() -> None:
    given(Customer, CUSTOMER_ID).when(EraseCustomer(CUSTOMER_ID), actor=STAFF).then(
        CustomerErased(customer_id=CUSTOMER_ID, erased_by=STAFF))


def test_the_system_reapplies_nothing_new_but_may_erase() -> None:
    given(Customer, CUSTOMER_ID).when(EraseCustomer(CUSTOMER_ID), actor=SYSTEM).then(
        CustomerErased(customer_id=CUSTOMER_ID, erased_by=SYSTEM))


def test_erasing_an_erased_customer_is_refused() -> None:
    erased = CustomerErased(customer_id=CUSTOMER_ID, erased_by=CUSTOMER)
    error = given(Customer, CUSTOMER_ID, erased).when(EraseCustomer(CUSTOMER_ID), actor=STAFF).then_raises(
        CustomerAlreadyErasedError, match="already erased")
    assert error.status == "erased"


def test_a_customer_cannot_erase_another_customer() -> None:
    given(Customer, CUSTOMER_ID).when(EraseCustomer(CUSTOMER_ID), actor=OTHER_CUSTOMER).then_raises(
        PermissionDeniedError)


def test_the_event_carries_no_personal_data() -> None:
    # Only the customer's id and the actor: the record of an erasure must survive the erasure.
    assert [field.name for field in dataclasses.fields(CustomerErased)] == ["customer_id", "erased_by"]


def test_erasure_goes_to_the_customers_stream() -> None:
    assert route_for(EraseCustomer(CUSTOMER_ID)).stream_name(EraseCustomer(CUSTOMER_ID)) == f"customer-{CUSTOMER_ID}"


def test_a_blank_customer_id_is_refused() -> None:
    with pytest.raises(CommandValidationError, match="customer_id"):
        EraseCustomer(" ")


def test_snapshot_round_trip() -> None:
    customer = Customer.replay(CUSTOMER_ID, [CustomerErased(customer_id=CUSTOMER_ID, erased_by=STAFF)])
    restored = Customer.from_snapshot(customer.snapshot(), customer.version)
    assert (restored.erased, restored.erased_by, restored.version) == (True, STAFF, 0)
