"""After a command commits, wake the workers up: at most one pending nudge at a time.

The nudge is a courtesy; the beat task catches up every second anyway. So it never blocks or
fails a command: with the broker or Redis down, the command has still succeeded.
"""
from __future__ import annotations

import logging
from typing import Any

from django_redis import get_redis_connection

log = logging.getLogger(__name__)
PENDING_KEY = "sub:nudge:pending"
PENDING_TTL_MS = 1000  # if a nudge is lost, the next command after this may send another


def clear(client: Any) -> None:
    """Called by the worker as it starts: commands from now on must nudge again."""
    client.delete(PENDING_KEY)


def send_nudge(sender: Any = None, **kwargs: Any) -> None:
    """Receiver of `orders.handlers.command_committed`: queue one catch-up unless one is pending."""
    from projections.tasks import catch_up_all

    try:
        if get_redis_connection("default").set(PENDING_KEY, "1", nx=True, px=PENDING_TTL_MS):
            catch_up_all.apply_async(retry=False)
    except Exception:  # the event store has the events; beat will project them
        log.warning("could not nudge the projections; beat will catch up", exc_info=True)
