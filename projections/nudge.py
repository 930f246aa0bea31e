"""After a command commits, wake the workers up: at most one pending nudge per subscriber at a time.

The nudge is a courtesy; the beat task catches up every second anyway. So it never blocks or
fails a command: it is published from a background thread, and with the broker or Redis down
the command has still succeeded.

Fan-out (the default, `PROJECTIONS_NUDGE=fanout`): one `catch_up(name)` message per subscriber, each
on its own role's queue (projections.queues), so the read models and the process manager run in
parallel on whichever workers consume those queues. Serial (`PROJECTIONS_NUDGE=serial`): one
`catch_up_all` message runs every subscriber in turn in one task (fewest messages; kept as the
benches' baseline). Either way a message carries no events, only "look at your checkpoint".
"""
from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from typing import Any

from celery import current_app
from django.conf import settings

from eventlog import connections
from eventlog.subscriptions.subscribers import all_subscribers
from projections.queues import CATCH_UP_ALL_TASK, CATCH_UP_TASK

log = logging.getLogger(__name__)
PENDING_KEY = "sub:nudge:pending"  # serial mode: one flag for the one catch_up_all message
PENDING_TTL_MS = 1000  # if a nudge is lost, a command after this may send another
# After finding every nudge still pending, wait this long before asking again: the commands meanwhile
# share the next attempt instead of each costing a Redis round trip (and a thread switch) of its own.
# Only then can a nudge be later, and by less than a run of the subscribers takes (15-25 ms here),
# which the next run waits for anyway (one run at a time). A quiet system never waits: its nudges
# find none pending.
HELD_RECHECK_SECONDS = 0.010
# A catch-up message older than this is dropped unrun (after an outage, a pile of them drains without
# running each): a newer one, or beat every second, covers it. Longer than a worker takes to start.
MESSAGE_EXPIRES_SECONDS = 60
FANOUT, SERIAL = "fanout", "serial"


class _Publisher:
    """A daemon thread that publishes nudges, so a command never waits on the broker."""

    def __init__(self) -> None:
        self.wakeups: queue.Queue[None] = queue.Queue(maxsize=1)  # one pending wake-up covers many commands
        self.lock = threading.Lock()
        self.names: set[str] | None = set()  # subscribers to nudge on the next wake-up; None: all of them
        self.thread = threading.Thread(target=self._run, name="projections-nudge", daemon=True)
        self.thread.start()

    def wake(self, names: list[str] | None = None) -> None:
        with self.lock:
            if names is None or self.names is None:
                self.names = None
            else:
                self.names.update(names)
        with contextlib.suppress(queue.Full):  # a nudge is already on its way; it covers this command too
            self.wakeups.put_nowait(None)

    def _run(self) -> None:
        while True:
            self.wakeups.get()
            with self.lock:
                names, self.names = self.names, set()
            try:
                sent = publish_nudge(None if names is None else sorted(names))
            except Exception:  # the event store has the events; beat will project them
                log.warning("could not nudge the projections; beat will catch up", exc_info=True)
                continue
            if not sent:  # a wake-up arriving meanwhile stays queued and is handled right after
                time.sleep(HELD_RECHECK_SECONDS)


# One per process: a forked child (gunicorn, prefork) has no thread of its parent's, so it starts its own.
_publisher = connections.per_process("projections.nudge.publisher", _Publisher)


def pending_key(name: str) -> str:
    """Fan-out mode: the flag saying a catch-up message for this subscriber is queued and not started."""
    return f"{PENDING_KEY}:{name}"


def clear(client: Any, name: str | None = None) -> None:
    """Called by the worker as it starts a run: commands from now on must nudge again."""
    client.delete(PENDING_KEY if name is None else pending_key(name))


def send_nudge(result: Any = None) -> None:
    """Callback of `eventlog.hooks.on_append` (events were appended): wake the publisher thread."""
    _publisher.get().wake(interested(result))


def interested(result: Any) -> list[str] | None:
    """The subscribers whose stream filter takes the appended stream (None, meaning all, when unsure).

    A subscriber that cannot see the events has nothing new to do, so a message to it would only
    queue ahead of one that has (say, the inventory's reservations are no business of the orders).
    """
    stream = getattr(result, "stream_name", None)
    if not isinstance(stream, str):
        return None
    names = []
    for candidate in all_subscribers():
        prefixes = candidate.spec.filter_prefixes
        if not prefixes or any(stream.startswith(prefix) for prefix in prefixes):  # a type filter: ask it
            names.append(candidate.spec.name)
    return names


def publish_nudge(names: list[str] | None = None) -> bool:
    """Queue catch-up messages for what has none pending (flags are cleared when a run starts); True if any."""
    if settings.PROJECTIONS_NUDGE == SERIAL:
        if not connections.redis().set(PENDING_KEY, "1", nx=True, px=PENDING_TTL_MS):
            return False
        # By name: projections.tasks imports this module (to clear the flag), never the other way round.
        current_app.send_task(CATCH_UP_ALL_TASK, retry=False, ignore_result=True, expires=MESSAGE_EXPIRES_SECONDS)
        return True
    return bool(fan_out(connections.redis(), names))


def fan_out(client: Any, names: list[str] | None = None) -> list[str]:
    """One catch-up message per subscriber (all, or those named) without one pending, each to its own queue;
    the names nudged."""
    if names is None:
        names = [candidate.spec.name for candidate in all_subscribers()]
    if not names:
        return []
    pipe = client.pipeline(transaction=False)  # one round trip for every flag
    for name in names:
        pipe.set(pending_key(name), "1", nx=True, px=PENDING_TTL_MS)
    nudged = [name for name, was_free in zip(names, pipe.execute(), strict=True) if was_free]
    for name in nudged:  # the router (projections.queues) picks the queue from the name
        current_app.send_task(CATCH_UP_TASK, args=(name,), retry=False, ignore_result=True,
                              expires=MESSAGE_EXPIRES_SECONDS)
    return nudged
