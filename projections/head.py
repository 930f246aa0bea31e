"""The event store's head as the writers publish it, so pages learn how fresh a read model is from Redis alone.

Every process that dispatches commands adds each append's commit position, with the time it was
stored, to one sorted set (`sub:appends`, newest `KEEP` kept). A page compares a read model's
checkpoint (which its runner writes with every commit) with that set: caught up when the checkpoint
is at or past the newest position; otherwise the appends after the checkpoint are the changes it
has not shown yet, and the oldest of them says for how long. No page asks the event store.

Positions are published from a background thread (like the nudge), so a command never waits for
it; a position can therefore appear a moment after its command returned. Only commands publish
(events appended by other means, such as snapshots, are not changes a customer waits for).
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

from eventlog import connections

log = logging.getLogger(__name__)

APPENDS_KEY = "sub:appends"
KEEP = 10_000  # appends remembered; a read model further behind than this shows "at least KEEP"


@dataclass(frozen=True, slots=True)
class Append:
    """One published append: where it landed and when (Unix seconds)."""

    position: int
    at: float


def member(position: int, at: float) -> str:
    """The sorted-set member of one append (unique per position)."""
    return f"{position}:{int(at * 1000)}"


def parse(raw: bytes | str, score: float) -> Append:
    """An append from its sorted-set member and score."""
    text = raw.decode() if isinstance(raw, bytes) else raw
    return Append(position=int(score), at=int(text.partition(":")[2] or 0) / 1000)


def publish(positions: list[tuple[int, float]], *, client: Any = None) -> None:
    """Add appends (position, time) to the published set, in one round trip."""
    if not positions:
        return
    client = client or connections.redis()
    pipe = client.pipeline(transaction=False)
    pipe.zadd(APPENDS_KEY, {member(position, at): position for position, at in positions})
    pipe.zremrangebyrank(APPENDS_KEY, 0, -(KEEP + 1))
    pipe.execute()


class _Publisher:
    """A daemon thread that publishes appended positions, so a command never waits on Redis for it."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.pending: list[tuple[int, float]] = []
        self.wakeup = threading.Event()
        self.thread = threading.Thread(target=self._run, name="projections-head", daemon=True)
        self.thread.start()

    def add(self, position: int) -> None:
        with self.lock:
            self.pending.append((position, time.time()))
        self.wakeup.set()

    def _run(self) -> None:
        while True:
            self.wakeup.wait()
            self.wakeup.clear()
            with self.lock:
                batch, self.pending = self.pending, []
            try:
                publish(batch)
            except Exception:  # freshness notes are a courtesy; the events are stored
                log.warning("could not publish %d appended positions", len(batch), exc_info=True)


# One per process: a forked child (gunicorn, prefork) has no thread of its parent's, so it starts its own.
_publisher = connections.per_process("projections.head.publisher", _Publisher)


def record_append(result: Any) -> None:
    """Callback of `eventlog.hooks.on_append`: publish where the command's events landed."""
    position = getattr(result, "commit_position", None)
    if isinstance(position, int):
        _publisher.get().add(position)
