"""Read-your-writes: wait (bounded) until the read models a page reads have passed a command's position.

Subscribe to the progress channel first, then read the checkpoints, then wait for messages: an
announcement made between our read and our wait is already queued for us, so it is never missed,
and nothing polls in a loop.
"""
from __future__ import annotations

import time
from collections.abc import Sequence

import redis

from eventlog.subscriptions import keys
from eventlog.subscriptions.checkpoints import at_or_past, live_checkpoints
from eventlog.subscriptions.lock import text
from eventlog.subscriptions.partitions import subscriber_of


def wait_for_position(redis_client: redis.Redis, names: Sequence[str], position: int, *,
                      timeout: float = 1.0) -> bool:
    """True once every named subscriber's live checkpoint is at or past `position`; False after `timeout`."""
    names = list(dict.fromkeys(names))
    if not names:
        return True
    deadline = time.monotonic() + timeout
    pubsub = redis_client.pubsub(ignore_subscribe_messages=True)
    try:
        pubsub.subscribe(keys.PROGRESS_CHANNEL)
        waiting = {name for name, (_, checkpoint) in live_checkpoints(redis_client, names).items()
                   if not at_or_past(checkpoint, position)}
        while waiting:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            message = pubsub.get_message(timeout=remaining)
            if message is None or message.get("type") != "message":
                continue
            scope, _, rest = (text(message["data"]) or "").partition(" ")
            name = subscriber_of(scope)  # a partition announces its own progress
            announced = rest.rpartition(" ")[2]
            if name in waiting and announced.isdigit() and int(announced) >= position:
                # Re-read rather than trust the message: it may be from a rebuild's generation,
                # or a switch may have just changed which generation is live.
                _, checkpoint = live_checkpoints(redis_client, [name])[name]
                if at_or_past(checkpoint, position):
                    waiting.discard(name)
        return True
    finally:
        pubsub.close()
