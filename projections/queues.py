"""Which Celery queue each task goes to, so operators can run workers per role (`celery worker -Q ...`).

A subscriber's catch-up goes to the queue of its role, decided by its registered group and name, so a
subscriber added later gets a queue without a change here: every read model shares `projections`, and
any other subscriber (the fulfillment process manager, notifications, ...) gets a queue named after
itself. `SUBSCRIBER_QUEUES` moves a subscriber elsewhere (say `orders=projections_orders`). Routing
is by subscriber name only, so the units of work of one subscriber (its partitions, later) all follow
it. A worker started without `-Q` consumes every queue (`all_queues`, added when it starts).
"""
from __future__ import annotations

from typing import Any

from django.conf import settings

from eventlog.subscriptions.subscribers import READ_MODEL, all_subscribers, group_of

__all__ = ["CATCH_UP_ALL_TASK", "CATCH_UP_TASK", "NUDGES", "PROJECTIONS", "REBUILDS", "all_queues",
           "queue_for_subscriber", "route_task"]

NUDGES = "nudges"  # the fan-out task: beat's backstop every second (and a "catch up everything" by hand)
PROJECTIONS = "projections"  # the catch-up of every read model
REBUILDS = "rebuilds"  # blue/green rebuilds and dead-letter retries: long or rare, kept off the hot queues
DEFAULT = "celery"  # Celery's default queue, for any task not routed here

CATCH_UP_TASK = "projections.catch_up"  # the name of projections.tasks.catch_up
CATCH_UP_ALL_TASK = "projections.catch_up_all"  # the name of projections.tasks.catch_up_all
_TASK_QUEUES = {
    CATCH_UP_ALL_TASK: NUDGES,
    "projections.rebuild": REBUILDS,
    "projections.rebuild_outdated": REBUILDS,
    "projections.retry_dead_letter": REBUILDS,
    "orders.reapply_erasures": REBUILDS,  # (orders.tasks) at worker start: rare, kept off the hot queues
}


def queue_for_subscriber(name: str) -> str:
    """The queue a subscriber's catch-up runs on: the override, else `projections` for read models, else its name."""
    override = settings.SUBSCRIBER_QUEUES.get(name)
    if override:
        return str(override)
    try:
        group = group_of(name)
    except KeyError:  # not registered in this process: the worker that knows it will say so
        return PROJECTIONS
    return PROJECTIONS if group == READ_MODEL else name


def all_queues() -> list[str]:
    """Every queue a task may be routed to, role queues first (what a worker without -Q consumes)."""
    queues = [NUDGES, PROJECTIONS]
    queues += [queue_for_subscriber(candidate.spec.name) for candidate in all_subscribers()]
    queues += [REBUILDS, DEFAULT]
    return list(dict.fromkeys(queues))


def route_task(name: str, args: Any, kwargs: Any, options: Any, task: Any = None, **_: Any) -> dict | None:
    """Celery router (CELERY_TASK_ROUTES): the queue of a projections task; None leaves others to the default."""
    if name == CATCH_UP_TASK:
        subscriber = (kwargs or {}).get("name") or (args[0] if args else None)
        return {"queue": queue_for_subscriber(str(subscriber))} if subscriber else None
    queue = _TASK_QUEUES.get(name)
    return {"queue": queue} if queue else None
