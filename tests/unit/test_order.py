"""Order aggregate: every transition and every refusal, as given / when / then."""
from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from uuid import UUID

import pytest

from orders.domain.commands import (
    AddOrderNote,
    CancelOrder,
    ConfirmOrder,
    CorrectShippingAddress,
    CreateOrder,
    DeliverOrder,
    OrderCommand,
    PayOrder,
    RejectOrder,
    RequestedLine,
    ShipOrder,
)
from orders.domain.errors import (
    AlreadyExistsError,
    CurrencyMismatchError,
    InactiveProductError,
    InvalidTransitionError,
    OrderNotFoundError,
    PaymentAmountMismatchError,
    PermissionDeniedError,
    UnknownProductError,
)
from orders.domain.events import (
    OrderCancelled,
    OrderConfirmed,
    OrderCreated,
    OrderDelivered,
    OrderEvent,
    OrderNoteAdded,
    OrderPaid,
    OrderRejected,
    OrderShipped,
    ShippingAddressCorrected,
)
from orders.domain.order import ALLOWED_FROM, Order
from orders.domain.values import Actor, OrderLine, OrderStatus, ProductInfo, UnavailableLine
from tests.unit.builders import (
    CATALOGUE,
    CUSTOMER,
    CUSTOMER_ID,
    LINES,
    NEW_ADDRESS,
    ORDER_ID,
    OTHER_CUSTOMER,
    STAFF,
    SYSTEM,
    TOTAL,
    create_order,
    created,
    history,
)
from tests.unit.gwt import given

REJECTED = (created(), OrderRejected(ORDER_ID, "out of stock", (UnavailableLine("MUG-1", 2, 0),)))
CANCELLED = (created(), OrderCancelled(ORDER_ID, "changed my mind", CUSTOMER, None))
HISTORIES: dict[OrderStatus, tuple[OrderEvent, ...]] = {
    OrderStatus.PENDING: history("PENDING"),
    OrderStatus.CONFIRMED: history("CONFIRMED"),
    OrderStatus.PAID: history("PAID"),
    OrderStatus.SHIPPED: history("SHIPPED"),
    OrderStatus.DELIVERED: history("DELIVERED"),
    OrderStatus.REJECTED: REJECTED,
    OrderStatus.CANCELLED: CANCELLED,
}


def test_histories_reach_their_status() -> None:
    for status, events in HISTORIES.items():
        assert Order.replay(ORDER_ID, events).status is status


# -- creating ---------------------------------------------------------------------------------


def test_a_customer_places_an_order_priced_from_the_catalogue() -> None:
    order = given(Order, ORDER_ID).when(create_order(), actor=CUSTOMER, products=CATALOGUE).then(created())
    assert order.status is OrderStatus.PENDING
    assert order.total == Decimal("18.25")
    assert order.lines == LINES
    assert order.expected_version == -1


def test_staff_may_place_an_order_for_a_customer() -> None:
    given(Order, ORDER_ID).when(create_order(), actor=STAFF, products=CATALOGUE).then(created())


def test_a_customer_cannot_place_an_order_for_someone_else() -> None:
    given(Order, ORDER_ID).when(
        create_order(customer_id="43"), actor=CUSTOMER, products=CATALOGUE
    ).then_raises(PermissionDeniedError, "not allowed to place an order for another customer")


def test_the_total_is_the_sum_of_the_lines_in_cents() -> None:
    products = {
        "A": ProductInfo("A", "a", Decimal("0.10"), "EUR"),
        "B": ProductInfo("B", "b", Decimal("0.20"), "EUR"),
        "C": ProductInfo("C", "c", Decimal("999.99"), "EUR"),
    }
    requested = (RequestedLine("A", 3), RequestedLine("B", 1000), RequestedLine("C", 7))
    command = CreateOrder(ORDER_ID, CUSTOMER_ID, requested)
    expected = OrderCreated(
        ORDER_ID,
        CUSTOMER_ID,
        (
            OrderLine("A", "a", 3, Decimal("0.10")),
            OrderLine("B", "b", 1000, Decimal("0.20")),
            OrderLine("C", "c", 7, Decimal("999.99")),
        ),
        Decimal("7200.23"),
        "EUR",
    )
    order = given(Order, ORDER_ID).when(command, actor=CUSTOMER, products=products).then(expected)
    assert str(order.total) == "7200.23"


def test_an_unknown_sku_is_refused() -> None:
    command = CreateOrder(ORDER_ID, CUSTOMER_ID, (RequestedLine("MUG-1", 1), RequestedLine("NOPE-9", 1)))
    error = given(Order, ORDER_ID).when(command, actor=CUSTOMER, products=CATALOGUE).then_raises(
        UnknownProductError, "product NOPE-9 does not exist"
    )
    assert error.sku == "NOPE-9"


def test_an_inactive_product_is_refused() -> None:
    command = CreateOrder(ORDER_ID, CUSTOMER_ID, (RequestedLine("OLD-3", 1),))
    error = given(Order, ORDER_ID).when(command, actor=CUSTOMER, products=CATALOGUE).then_raises(
        InactiveProductError, "OLD-3 is not available for sale"
    )
    assert error.sku == "OLD-3"


def test_products_in_different_currencies_cannot_share_an_order() -> None:
    command = CreateOrder(ORDER_ID, CUSTOMER_ID, (RequestedLine("MUG-1", 1), RequestedLine("USD-4", 1)))
    given(Order, ORDER_ID).when(command, actor=CUSTOMER, products=CATALOGUE).then_raises(
        CurrencyMismatchError, "single currency.*EUR, USD"
    )


def test_an_order_cannot_be_created_twice() -> None:
    given(Order, ORDER_ID, created()).when(create_order(), actor=CUSTOMER, products=CATALOGUE).then_raises(
        AlreadyExistsError, f"order {ORDER_ID} already exists"
    )


# -- one command per action, for the transition matrix ----------------------------------------

COMMANDS: dict[str, Callable[[UUID], OrderCommand]] = {
    "confirm": lambda oid: ConfirmOrder(oid),
    "reject": lambda oid: RejectOrder(oid, "out of stock", (UnavailableLine("MUG-1", 2, 1),)),
    "pay": lambda oid: PayOrder(oid, TOTAL, "pay-1"),
    "ship": lambda oid: ShipOrder(oid, "DHL", "TRACK-1"),
    "deliver": lambda oid: DeliverOrder(oid),
    "cancel": lambda oid: CancelOrder(oid, "changed my mind"),
    "add_note": lambda oid: AddOrderNote(oid, "called the customer"),
    "correct_address": lambda oid: CorrectShippingAddress(oid, NEW_ADDRESS, "customer phoned"),
}


def expected_event(action: str, status: OrderStatus) -> OrderEvent:
    """The event an accepted action by STAFF records on the standard order in `status`."""
    events: dict[str, OrderEvent] = {
        "confirm": OrderConfirmed(ORDER_ID),
        "reject": OrderRejected(ORDER_ID, "out of stock", (UnavailableLine("MUG-1", 2, 1),)),
        "pay": OrderPaid(ORDER_ID, TOTAL, "pay-1"),
        "ship": OrderShipped(ORDER_ID, "DHL", "TRACK-1"),
        "deliver": OrderDelivered(ORDER_ID),
        "cancel": OrderCancelled(
            ORDER_ID, "changed my mind", STAFF, TOTAL if status is OrderStatus.PAID else None
        ),
        "add_note": OrderNoteAdded(ORDER_ID, "called the customer", STAFF.id),
        "correct_address": ShippingAddressCorrected(ORDER_ID, NEW_ADDRESS, STAFF, "customer phoned"),
    }
    return events[action]


def test_every_action_has_a_command_here() -> None:
    assert set(COMMANDS) == set(ALLOWED_FROM)


@pytest.mark.parametrize("action", sorted(ALLOWED_FROM))
@pytest.mark.parametrize("status", list(OrderStatus), ids=str)
def test_transition_matrix(action: str, status: OrderStatus) -> None:
    """Each action is accepted exactly from the statuses listed in ALLOWED_FROM."""
    outcome = given(Order, ORDER_ID, *HISTORIES[status]).when(COMMANDS[action](ORDER_ID), actor=STAFF)
    if status in ALLOWED_FROM[action]:
        outcome.then(expected_event(action, status))
    else:
        error = outcome.then_raises(InvalidTransitionError, f"^order {ORDER_ID} is {status.value}; ")
        assert error.status == status.value
        assert error.action == action


@pytest.mark.parametrize("action", sorted(set(ALLOWED_FROM) - {"add_note"}))
def test_every_action_on_a_missing_order_is_not_found(action: str) -> None:
    given(Order, ORDER_ID).when(COMMANDS[action](ORDER_ID), actor=STAFF).then_raises(
        OrderNotFoundError, f"order {ORDER_ID} was not found"
    )


def test_a_note_on_a_missing_order_is_not_found() -> None:
    given(Order, ORDER_ID).when(COMMANDS["add_note"](ORDER_ID), actor=STAFF).then_raises(OrderNotFoundError)


@pytest.mark.parametrize("action", sorted(ALLOWED_FROM))
@pytest.mark.parametrize("status", list(OrderStatus), ids=str)
def test_another_customer_learns_nothing(action: str, status: OrderStatus) -> None:
    """Whatever the action or status, someone else's order looks like no order at all."""
    given(Order, ORDER_ID, *HISTORIES[status]).when(COMMANDS[action](ORDER_ID), actor=OTHER_CUSTOMER).then_raises(
        OrderNotFoundError, f"^order {ORDER_ID} was not found$"
    )


# -- confirm / reject -------------------------------------------------------------------------


@pytest.mark.parametrize("actor", [SYSTEM, STAFF], ids=str)
def test_a_pending_order_is_confirmed(actor: Actor) -> None:
    order = given(Order, ORDER_ID, created()).when(ConfirmOrder(ORDER_ID), actor=actor).then(OrderConfirmed(ORDER_ID))
    assert order.status is OrderStatus.CONFIRMED


def test_a_customer_cannot_confirm_their_own_order() -> None:
    given(Order, ORDER_ID, created()).when(ConfirmOrder(ORDER_ID), actor=CUSTOMER).then_raises(
        PermissionDeniedError, "a customer is not allowed to confirm an order"
    )


def test_confirming_twice_says_it_is_already_confirmed() -> None:
    given(Order, ORDER_ID, *history("CONFIRMED")).when(ConfirmOrder(ORDER_ID), actor=SYSTEM).then_raises(
        InvalidTransitionError, f"order {ORDER_ID} is CONFIRMED; it is already confirmed"
    )


def test_a_pending_order_is_rejected_with_the_lines_short_of_stock() -> None:
    lines = (UnavailableLine("MUG-1", 2, 1), UnavailableLine("TEA-2", 1, 0))
    order = given(Order, ORDER_ID, created()).when(
        RejectOrder(ORDER_ID, "not enough stock", lines), actor=SYSTEM
    ).then(OrderRejected(ORDER_ID, "not enough stock", lines))
    assert order.status is OrderStatus.REJECTED
    assert order.rejection_reason == "not enough stock"
    assert order.unavailable_lines == lines


def test_a_rejected_order_can_no_longer_be_confirmed() -> None:
    given(Order, ORDER_ID, *REJECTED).when(ConfirmOrder(ORDER_ID), actor=SYSTEM).then_raises(
        InvalidTransitionError, f"order {ORDER_ID} is REJECTED; it can no longer be confirmed"
    )


def test_a_customer_cannot_reject_an_order() -> None:
    given(Order, ORDER_ID, created()).when(COMMANDS["reject"](ORDER_ID), actor=CUSTOMER).then_raises(
        PermissionDeniedError
    )


# -- pay ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("actor", [CUSTOMER, STAFF, SYSTEM], ids=str)
def test_a_confirmed_order_is_paid_in_full(actor: Actor) -> None:
    order = given(Order, ORDER_ID, *history("CONFIRMED")).when(
        PayOrder(ORDER_ID, Decimal("18.25"), "pay-1"), actor=actor
    ).then(OrderPaid(ORDER_ID, Decimal("18.25"), "pay-1"))
    assert order.status is OrderStatus.PAID
    assert order.amount_paid == TOTAL
    assert order.payment_reference == "pay-1"


@pytest.mark.parametrize("amount", [Decimal("18.24"), Decimal("18.26"), Decimal("0"), Decimal("36.50")])
def test_a_payment_must_match_the_total(amount: Decimal) -> None:
    error = given(Order, ORDER_ID, *history("CONFIRMED")).when(
        PayOrder(ORDER_ID, amount, "pay-1"), actor=CUSTOMER
    ).then_raises(PaymentAmountMismatchError, f"order {ORDER_ID} totals 18.25 EUR; a payment of")
    assert error.expected == TOTAL
    assert error.received == amount


def test_a_pending_order_cannot_be_paid_until_confirmed() -> None:
    given(Order, ORDER_ID, created()).when(PayOrder(ORDER_ID, TOTAL, "pay-1"), actor=CUSTOMER).then_raises(
        InvalidTransitionError, f"order {ORDER_ID} is PENDING; it cannot be paid until it is CONFIRMED"
    )


def test_a_paid_order_is_not_paid_twice() -> None:
    given(Order, ORDER_ID, *history("PAID")).when(PayOrder(ORDER_ID, TOTAL, "pay-2"), actor=CUSTOMER).then_raises(
        InvalidTransitionError, "it is already paid"
    )


# -- ship / deliver -----------------------------------------------------------------------------


@pytest.mark.parametrize("actor", [STAFF, SYSTEM], ids=str)
def test_a_paid_order_is_shipped(actor: Actor) -> None:
    order = given(Order, ORDER_ID, *history("PAID")).when(ShipOrder(ORDER_ID, "UPS", "1Z999"), actor=actor).then(
        OrderShipped(ORDER_ID, "UPS", "1Z999")
    )
    assert (order.status, order.carrier, order.tracking_number) == (OrderStatus.SHIPPED, "UPS", "1Z999")


def test_a_customer_cannot_ship_their_own_order() -> None:
    given(Order, ORDER_ID, *history("PAID")).when(COMMANDS["ship"](ORDER_ID), actor=CUSTOMER).then_raises(
        PermissionDeniedError, "a customer is not allowed to ship an order"
    )


def test_an_unpaid_order_cannot_be_shipped() -> None:
    given(Order, ORDER_ID, *history("CONFIRMED")).when(COMMANDS["ship"](ORDER_ID), actor=STAFF).then_raises(
        InvalidTransitionError, f"order {ORDER_ID} is CONFIRMED; it cannot be shipped until it is PAID"
    )


def test_a_shipped_order_is_delivered() -> None:
    order = given(Order, ORDER_ID, *history("SHIPPED")).when(DeliverOrder(ORDER_ID), actor=SYSTEM).then(
        OrderDelivered(ORDER_ID)
    )
    assert order.status is OrderStatus.DELIVERED


def test_a_customer_cannot_mark_their_order_delivered() -> None:
    given(Order, ORDER_ID, *history("SHIPPED")).when(DeliverOrder(ORDER_ID), actor=CUSTOMER).then_raises(
        PermissionDeniedError
    )


def test_an_order_is_not_delivered_before_it_ships() -> None:
    given(Order, ORDER_ID, *history("PAID")).when(DeliverOrder(ORDER_ID), actor=STAFF).then_raises(
        InvalidTransitionError, "it cannot be delivered until it is SHIPPED"
    )


# -- cancel -------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [OrderStatus.PENDING, OrderStatus.CONFIRMED], ids=str)
@pytest.mark.parametrize("actor", [CUSTOMER, STAFF, SYSTEM], ids=str)
def test_an_unpaid_order_is_cancelled_without_refund(status: OrderStatus, actor: Actor) -> None:
    order = given(Order, ORDER_ID, *HISTORIES[status]).when(CancelOrder(ORDER_ID, "too slow"), actor=actor).then(
        OrderCancelled(ORDER_ID, "too slow", actor, None)
    )
    assert order.status is OrderStatus.CANCELLED
    assert order.cancelled_by == actor
    assert order.refund_amount is None


def test_a_paid_order_is_cancelled_with_a_full_refund() -> None:
    order = given(Order, ORDER_ID, *history("PAID")).when(
        CancelOrder(ORDER_ID, "found it cheaper"), actor=CUSTOMER
    ).then(OrderCancelled(ORDER_ID, "found it cheaper", CUSTOMER, TOTAL))
    assert order.refund_amount == TOTAL
    assert order.cancellation_reason == "found it cheaper"


@pytest.mark.parametrize("status", [OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.REJECTED], ids=str)
def test_an_order_can_no_longer_be_cancelled_once_shipped_or_closed(status: OrderStatus) -> None:
    error = given(Order, ORDER_ID, *HISTORIES[status]).when(CancelOrder(ORDER_ID, "late"), actor=CUSTOMER).then_raises(
        InvalidTransitionError, f"^order {ORDER_ID} is {status.value}; it can no longer be cancelled$"
    )
    assert error.kind == "order"
    assert error.aggregate_id == ORDER_ID


def test_a_cancelled_order_is_already_cancelled() -> None:
    given(Order, ORDER_ID, *CANCELLED).when(CancelOrder(ORDER_ID, "again"), actor=STAFF).then_raises(
        InvalidTransitionError, "it is already cancelled"
    )


# -- notes ------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", list(OrderStatus), ids=str)
def test_staff_annotate_an_order_in_any_state(status: OrderStatus) -> None:
    order = given(Order, ORDER_ID, *HISTORIES[status]).when(AddOrderNote(ORDER_ID, "gift wrap"), actor=STAFF).then(
        OrderNoteAdded(ORDER_ID, "gift wrap", "7")
    )
    assert order.status is status
    assert [(n.text, n.author) for n in order.notes] == [("gift wrap", "7")]


@pytest.mark.parametrize("actor", [CUSTOMER, SYSTEM], ids=str)
def test_only_staff_annotate(actor: Actor) -> None:
    given(Order, ORDER_ID, created()).when(AddOrderNote(ORDER_ID, "hi"), actor=actor).then_raises(
        PermissionDeniedError, f"a {actor.kind} is not allowed to add notes to an order"
    )


def test_notes_accumulate_in_order() -> None:
    notes = (OrderNoteAdded(ORDER_ID, "one", "7"), OrderNoteAdded(ORDER_ID, "two", "8"))
    order = given(Order, ORDER_ID, created(), *notes).when(AddOrderNote(ORDER_ID, "three"), actor=STAFF).then(
        OrderNoteAdded(ORDER_ID, "three", "7")
    )
    assert [n.text for n in order.notes] == ["one", "two", "three"]


# -- plumbing ---------------------------------------------------------------------------------


def test_a_command_for_another_order_is_a_programming_error() -> None:
    order = Order.replay(ORDER_ID, history("CONFIRMED"))
    with pytest.raises(ValueError, match="sent to order"):
        order.pay(PayOrder(UUID(int=1), TOTAL, "p"), actor=STAFF)


def test_decisions_chain_and_pending_events_are_collected_once() -> None:
    order = Order.create(create_order(), products=CATALOGUE, actor=CUSTOMER)
    order.confirm(ConfirmOrder(ORDER_ID), actor=SYSTEM)
    order.pay(PayOrder(ORDER_ID, TOTAL, "p"), actor=CUSTOMER)
    assert (order.version, order.expected_version) == (2, -1)
    assert [type(e) for e in order.collect_events()] == [OrderCreated, OrderConfirmed, OrderPaid]
    assert (order.pending_events, order.version, order.expected_version) == ((), 2, 2)


def test_stream_names() -> None:
    assert Order.stream_name(ORDER_ID) == f"order-{ORDER_ID}"
    assert Order.id_from_stream_name(f"order-{ORDER_ID}") == str(ORDER_ID)
    with pytest.raises(ValueError):
        Order.id_from_stream_name("inventory-MUG-1")
