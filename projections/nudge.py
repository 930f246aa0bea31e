"""After a command commits, wake the workers up: at most one pending nudge at a time.

The nudge is a courtesy; the beat task catches up every second anyway. So it never blocks or
fails a command: it is published from a background thread, and with the broker or Redis down
the command has still succeeded.
"""
from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from typing import Any

from celery import current_app

from eventlog import connections

log = logging.getLogger(__name__)
PENDING_KEY = "sub:nudge:pending"
PENDING_TTL_MS = 1000  # if a nudge is lost, a command after this may send another
CATCH_UP_ALL_TASK = "projections.catch_up_all"  # the name of projections.tasks.catch_up_all
# After finding a nudge still pending, wait this long before asking again: the commands meanwhile
# share the next attempt instead of each costing a Redis round trip (and a thread switch) of its own.
# Only then can a nudge be later, and by less than a run of the subscribers takes (15-25 ms here),
# which the next run waits for anyway (one run at a time). A quiet system never waits: its nudges
# find no pending one.
HELD_RECHECK_SECONDS = 0.010


class _Publisher:
    """A daemon thread that publishes nudges, so a command never waits on the broker."""

    def __init__(self) -> None:
        self.wakeups: queue.Queue[None] = queue.Queue(maxsize=1)  # one pending wake-up covers many commands
        self.thread = threading.Thread(target=self._run, name="projections-nudge", daemon=True)
        self.thread.start()

    def wake(self) -> None:
        with contextlib.suppress(queue.Full):  # a nudge is already on its way; it covers this command too
            self.wakeups.put_nowait(None)

    def _run(self) -> None:
        while True:
            self.wakeups.get()
            try:
                sent = publish_nudge()
            except Exception:  # the event store has the events; beat will project them
                log.warning("could not nudge the projections; beat will catch up", exc_info=True)
                continue
            if not sent:  # a wake-up arriving meanwhile stays queued and is handled right after
                time.sleep(HELD_RECHECK_SECONDS)


# One per process: a forked child (gunicorn, prefork) has no thread of its parent's, so it starts its own.
_publisher = connections.per_process("projections.nudge.publisher", _Publisher)


def clear(client: Any) -> None:
    """Called by the worker as it starts a run: commands from now on must nudge again."""
    client.delete(PENDING_KEY)


def send_nudge(result: Any = None) -> None:
    """Callback of `eventlog.hooks.on_append` (events were appended): wake the publisher thread."""
    _publisher.get().wake()


def publish_nudge() -> bool:
    """Queue one catch-up task unless one is pending (the flag is cleared when a run starts); True if queued."""
    if not connections.redis().set(PENDING_KEY, "1", nx=True, px=PENDING_TTL_MS):
        return False
    # By name: projections.tasks imports this module (to clear the flag), never the other way round.
    current_app.send_task(CATCH_UP_ALL_TASK, retry=False, ignore_result=True)
    return True
