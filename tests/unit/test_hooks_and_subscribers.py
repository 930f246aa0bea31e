"""The wiring between layers: the append hook and the subscribers each app registers."""
from __future__ import annotations

import logging

import pytest

from eventlog import hooks
from eventlog.subscriptions import subscribers
from eventlog.subscriptions.base import SubscriberSpec
from orders.domain.events import OrderCreated
from orders.fulfillment import FulfillmentProcessManager
from orders.handlers import dispatch
from orders.notifications.subscriber import NotificationSubscriber
from projections.subscribers import READ_MODELS
from tests.unit.builders import CUSTOMER, ORDER_ID, create_order
from tests.unit.conftest import catalogue


def test_a_failing_append_callback_is_logged_and_the_command_still_succeeds(store, caplog):
    heard = []

    def broken(result):
        raise RuntimeError("the read side is having a bad day")

    hooks.on_append(broken)
    hooks.on_append(heard.append)
    try:
        with caplog.at_level(logging.ERROR, logger="eventlog.hooks"):
            result = dispatch(create_order(), actor=CUSTOMER, store=store, catalogue=catalogue)
    finally:
        hooks.remove(broken)
        hooks.remove(heard.append)

    assert [type(e) for e in result.events] == [OrderCreated]
    assert len(store.read_stream(f"order-{ORDER_ID}")) == 1
    assert heard == [result]  # a callback after the failing one still hears of the append
    assert "the events are stored regardless" in caplog.text


def test_registering_a_callback_twice_calls_it_once(store):
    heard = []
    hooks.on_append(heard.append)
    hooks.on_append(heard.append)
    try:
        dispatch(create_order(), actor=CUSTOMER, store=store, catalogue=catalogue)
    finally:
        hooks.remove(heard.append)

    assert len(heard) == 1


def test_the_apps_register_their_read_models_before_the_process_manager():
    names = [s.spec.name for s in subscribers.all_subscribers()]

    assert names == [*(m.spec.name for m in READ_MODELS), FulfillmentProcessManager.spec.name,
                     NotificationSubscriber.spec.name]


class _Named:
    def __init__(self, name: str) -> None:
        self.spec = SubscriberSpec(name=name, stream_prefixes=("x-",))

    def handle(self, event, writer) -> None:
        """Nothing to do."""


def test_read_models_run_first_whatever_order_they_were_registered_in(monkeypatch):
    monkeypatch.setattr(subscribers, "_registered", {group: [] for group in subscribers._GROUPS})

    subscribers.register_subscriber(_Named("pm"), group=subscribers.PROCESS_MANAGER)
    subscribers.register_subscriber(_Named("b"), group=subscribers.READ_MODEL)
    subscribers.register_subscriber(_Named("a"), group=subscribers.READ_MODEL)
    subscribers.register_subscriber(_Named("a"), group=subscribers.READ_MODEL)  # again: ignored

    assert [s.spec.name for s in subscribers.all_subscribers()] == ["b", "a", "pm"]
    assert subscribers.subscriber("pm").spec.name == "pm"
    with pytest.raises(KeyError):
        subscribers.subscriber("missing")


def test_an_unknown_subscriber_group_is_refused_by_name():
    with pytest.raises(ValueError, match="unknown subscriber group 'projection'"):
        subscribers.register_subscriber(_Named("z"), group="projection")
