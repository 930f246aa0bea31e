"""The command map: every command has a route, and a generic dispatch needs nothing else."""
from __future__ import annotations

import inspect
from decimal import Decimal

import pytest

from eventlog import envelope
from orders.domain import aggregate
from orders.domain import commands as c
from orders.domain.errors import AlreadyExistsError, OrderNotFoundError
from orders.domain.events import OrderPaid, StockReceived
from orders.domain.inventory import Inventory
from orders.domain.order import Order
from orders.domain.routes import COMMAND_ROUTES, route_for
from tests.unit.builders import CATALOGUE, CUSTOMER, ORDER_ID, STAFF, TOTAL, create_order, history

CONCRETE_COMMANDS = {
    cls
    for cls in vars(c).values()
    if isinstance(cls, type)
    and issubclass(cls, c.Command)
    and cls not in (c.Command, c.OrderCommand, c.InventoryCommand)
}


def test_every_command_has_exactly_one_route() -> None:
    assert set(COMMAND_ROUTES) == CONCRETE_COMMANDS
    assert len(CONCRETE_COMMANDS) == 16


def test_routes_point_at_real_methods_that_take_the_command_and_an_actor() -> None:
    for route in COMMAND_ROUTES.values():
        method = route.decide
        assert getattr(route.aggregate, method.__name__) == method  # the aggregate's own decision
        parameters = inspect.signature(method).parameters
        assert "actor" in parameters, route
        assert parameters["actor"].kind is inspect.Parameter.KEYWORD_ONLY
        for name in route.needs:
            assert parameters[name].kind is inspect.Parameter.KEYWORD_ONLY
        assert inspect.ismethod(method) == route.creates  # bound to the class only for creation


def test_stream_names_and_ids_come_from_the_command() -> None:
    assert route_for(create_order()).stream_name(create_order()) == f"order-{ORDER_ID}"
    command = c.ReceiveStock("MUG-1", 3)
    route = route_for(command)
    assert (route.aggregate, route.aggregate_id(command), route.stream_name(command)) == (
        Inventory,
        "MUG-1",
        "inventory-MUG-1",
    )


def test_only_create_order_creates_and_needs_the_catalogue() -> None:
    creating = {r.command: r.needs for r in COMMAND_ROUTES.values() if r.creates}
    assert creating == {c.CreateOrder: ("products",)}
    assert all(r.needs == () for r in COMMAND_ROUTES.values() if not r.creates)


def test_a_generic_dispatch() -> None:
    """The loop a handler runs, with a dict standing in for the event store."""
    store: dict[str, list[object]] = {}

    def dispatch(command: c.Command, actor: object, **context: object) -> int:
        route = route_for(command)
        stream = route.stream_name(command)
        aggregate = route.aggregate.replay(route.aggregate_id(command), store.get(stream, []))  # type: ignore[arg-type]
        aggregate = route.execute(command, aggregate=aggregate, actor=actor, **context)  # type: ignore[arg-type]
        assert len(store.get(stream, [])) - 1 == aggregate.expected_version
        store.setdefault(stream, []).extend(aggregate.collect_events())
        return aggregate.version

    assert dispatch(create_order(), CUSTOMER, products=CATALOGUE) == 0
    assert dispatch(c.ConfirmOrder(ORDER_ID), STAFF) == 1
    assert dispatch(c.PayOrder(ORDER_ID, TOTAL, "p-1"), CUSTOMER) == 2
    assert dispatch(c.ReceiveStock("MUG-1", 5), STAFF) == 0
    assert store[f"order-{ORDER_ID}"][-1] == OrderPaid(ORDER_ID, Decimal("18.25"), "p-1")
    assert store["inventory-MUG-1"] == [StockReceived("MUG-1", 5)]
    with pytest.raises(AlreadyExistsError):
        dispatch(create_order(), CUSTOMER, products=CATALOGUE)


def test_execute_without_a_loaded_aggregate() -> None:
    route = route_for(create_order())
    order = route.execute(create_order(), aggregate=None, actor=CUSTOMER, products=CATALOGUE)
    assert isinstance(order, Order) and order.expected_version == -1
    with pytest.raises(OrderNotFoundError):
        route_for(c.ConfirmOrder(ORDER_ID)).execute(c.ConfirmOrder(ORDER_ID), aggregate=None, actor=STAFF)
    inventory = route_for(c.ReceiveStock("MUG-1", 1)).execute(c.ReceiveStock("MUG-1", 1), aggregate=None, actor=STAFF)
    assert inventory.version == 0


def test_execute_checks_its_context_and_command_type() -> None:
    route = route_for(create_order())
    with pytest.raises(TypeError, match="needs"):
        route.execute(create_order(), aggregate=None, actor=CUSTOMER)
    pay = route_for(c.PayOrder(ORDER_ID, TOTAL, "p"))
    order = Order.replay(ORDER_ID, history("CONFIRMED"))
    with pytest.raises(TypeError, match="needs"):
        pay.execute(c.PayOrder(ORDER_ID, TOTAL, "p"), aggregate=order, actor=CUSTOMER, products=CATALOGUE)
    with pytest.raises(TypeError, match="sent through the route"):
        pay.execute(c.ConfirmOrder(ORDER_ID), aggregate=order, actor=STAFF)


def test_the_map_is_read_only() -> None:
    with pytest.raises(TypeError):
        COMMAND_ROUTES[c.CreateOrder] = None  # type: ignore[index]


def test_no_stream_is_one_value_from_the_domain_to_the_store_door() -> None:
    assert aggregate.NO_STREAM == envelope.NO_STREAM
    new = Order(ORDER_ID)
    assert (new.version, new.expected_version, new.exists) == (aggregate.NO_STREAM, aggregate.NO_STREAM, False)
    created = route_for(create_order()).execute(create_order(), aggregate=None, actor=CUSTOMER, products=CATALOGUE)
    assert created.expected_version == envelope.NO_STREAM  # what the handler passes to EventStore.append
