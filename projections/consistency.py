"""Read-your-writes for pages and API: wait (bounded) for the read models, and say how fresh they are."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django_redis import get_redis_connection

from eventlog.store import get_store
from eventlog.subscriptions.consistency import wait_for_position
from eventlog.subscriptions.lag import measure_lag
from projections.registry import READ_MODELS

READ_MODEL_NAMES: tuple[str, ...] = tuple(model.spec.name for model in READ_MODELS)
DEFAULT_WAIT_SECONDS = 1.0


def wait_for_read_models(position: int, *, names: Sequence[str] = READ_MODEL_NAMES,
                         timeout: float = DEFAULT_WAIT_SECONDS) -> bool:
    """True once the named read models have applied everything up to `position` (False after `timeout`)."""
    if position <= 0:
        return True
    return wait_for_position(get_redis_connection("default"), names, position, timeout=timeout)


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
    lag = measure_lag(spec, store=get_store(), redis_client=get_redis_connection("default"), cap=1000)
    return Freshness(events_behind=lag.events, seconds_behind=lag.seconds)
