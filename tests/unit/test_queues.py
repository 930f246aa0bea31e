"""Celery routing: each task goes to its role's queue, and a subscriber's queue follows from its group and name."""
from __future__ import annotations

import pytest

from eventlog.subscriptions import subscribers
from eventlog.subscriptions.base import SubscriberSpec
from projections import queues


class _Named:
    def __init__(self, name: str) -> None:
        self.spec = SubscriberSpec(name=name, stream_prefixes=("x-",))

    def handle(self, event, writer) -> None:
        """Nothing to do."""


@pytest.fixture
def registry(monkeypatch):
    """A registry of two read models and two process managers, in place of the apps' own."""
    monkeypatch.setattr(subscribers, "_registered", {group: [] for group in subscribers._GROUPS})
    for name in ("orders", "sales"):
        subscribers.register_subscriber(_Named(name), group=subscribers.READ_MODEL)
    for name in ("fulfillment", "notifications"):
        subscribers.register_subscriber(_Named(name), group=subscribers.PROCESS_MANAGER)


def route(task: str, *args, **kwargs) -> str | None:
    routed = queues.route_task(task, args, kwargs, {})
    return routed["queue"] if routed else None


def test_read_models_share_a_queue_and_every_other_subscriber_gets_its_own(registry):
    assert route(queues.CATCH_UP_TASK, "orders") == route(queues.CATCH_UP_TASK, name="sales") == "projections"
    assert route(queues.CATCH_UP_TASK, "fulfillment") == "fulfillment"
    assert route(queues.CATCH_UP_TASK, "notifications") == "notifications"  # no code change for a new one


def test_an_operator_moves_one_subscriber_to_a_queue_of_its_own(registry, settings):
    settings.SUBSCRIBER_QUEUES = {"orders": "projections_orders"}

    assert route(queues.CATCH_UP_TASK, "orders") == "projections_orders"
    assert route(queues.CATCH_UP_TASK, "sales") == "projections"
    assert "projections_orders" in queues.all_queues()


def test_the_other_tasks_go_to_their_role_queues():
    assert route(queues.CATCH_UP_ALL_TASK) == "nudges"
    for task in ("projections.rebuild", "projections.rebuild_outdated", "projections.retry_dead_letter"):
        assert route(task, "orders") == "rebuilds", task
    assert route("someone.elses_task") is None  # Celery's default queue


def test_a_worker_without_queues_named_consumes_every_routed_queue(registry):
    assert queues.all_queues() == ["nudges", "projections", "fulfillment", "notifications", "rebuilds", "celery"]


def test_the_product_routes_to_queues_its_settings_name(settings):
    assert settings.CELERY_TASK_ROUTES == ("projections.queues.route_task",)
    assert settings.PROJECTIONS_NUDGE == "fanout"


def test_a_command_nudges_only_the_subscribers_that_can_see_its_stream(registry, monkeypatch):
    from types import SimpleNamespace

    from projections import nudge

    monkeypatch.setattr(subscribers, "_registered", {group: [] for group in subscribers._GROUPS})
    for name, prefix in (("orders", "order-"), ("inventory", "inventory-")):
        candidate = _Named(name)
        candidate.spec = SubscriberSpec(name=name, stream_prefixes=(prefix,))
        subscribers.register_subscriber(candidate, group=subscribers.READ_MODEL)

    assert nudge.interested(SimpleNamespace(stream_name="inventory-MUG-1")) == ["inventory"]
    assert nudge.interested(SimpleNamespace(stream_name="order-1")) == ["orders"]
    assert nudge.interested(None) is None  # not a command's result: nudge everyone


def test_reapplying_erasures_at_worker_start_goes_to_the_rebuilds_queue() -> None:
    from projections.queues import REBUILDS, route_task

    assert route_task("orders.reapply_erasures", (), {}, {}) == {"queue": REBUILDS}
