"""Read-your-writes for pages and API: wait (bounded) for the read models, and say how fresh they are."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from eventlog import connections
from eventlog.errors import EventStoreUnavailableError
from eventlog.subscriptions.checkpoints import at_or_past, live_checkpoints
from eventlog.subscriptions.consistency import wait_for_position
from eventlog.subscriptions.lag import measure_lag
from projections.subscribers import READ_MODELS

READ_MODEL_NAMES: tuple[str, ...] = tuple(model.spec.name for model in READ_MODELS)
DEFAULT_WAIT_SECONDS = 1.0


def wait_for_read_models(position: int, *, names: Sequence[str] = READ_MODEL_NAMES,
                         timeout: float = DEFAULT_WAIT_SECONDS) -> bool:
    """True once the named read models have applied everything up to `position` (False after `timeout`)."""
    if position <= 0:
        return True
    return wait_for_position(connections.redis(), names, position, timeout=timeout)


@dataclass(frozen=True, slots=True)
class Reach:
    """Whether the read models reached a position; `head` is set when the position is past the store's head."""

    reached: bool
    head: int | None = None


def reach_position(position: int, *, names: Sequence[str] = READ_MODEL_NAMES,
                   timeout: float = DEFAULT_WAIT_SECONDS) -> Reach:
    """Like `wait_for_read_models`, but a position no event has reached yet is answered at once.

    A client names the position, so it may name one beyond the store's head (or the store may be
    down, so nothing can move): waiting would only hold a worker for nothing.
    """
    if position <= 0:
        return Reach(True)
    redis_client = connections.redis()
    checkpoints = live_checkpoints(redis_client, list(dict.fromkeys(names)))
    if all(at_or_past(checkpoint, position) for _, checkpoint in checkpoints.values()):
        return Reach(True)
    try:
        head = connections.event_store().head_position()
    except EventStoreUnavailableError:
        return Reach(False)  # no event can be appended or projected until it is back
    if position > head:
        return Reach(False, head=head)
    return Reach(wait_for_position(redis_client, names, position, timeout=timeout))


@dataclass(frozen=True, slots=True)
class Freshness:
    """How far a read model is behind the event store."""

    events_behind: int
    seconds_behind: float

    @property
    def is_behind(self) -> bool:
        """Whether a page should say its data may be out of date."""
        return self.events_behind > 0


def freshness(name: str) -> Freshness:
    """The lag of one read model, in events and in seconds (age of its oldest unapplied event)."""
    spec = next(model.spec for model in READ_MODELS if model.spec.name == name)
    lag = measure_lag(spec, store=connections.event_store(), redis_client=connections.redis(), cap=1000)
    return Freshness(events_behind=lag.events, seconds_behind=lag.seconds)
