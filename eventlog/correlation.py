"""The correlation id of the work in hand: set per HTTP request, carried into events and logs.

An HTTP request's id becomes the correlation id of every event its commands append; a process
manager passes the triggering event's correlation id on, so one conversation can be followed
across aggregates, tasks and log lines.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from uuid import UUID

import structlog

_current: ContextVar[UUID | None] = ContextVar("correlation_id", default=None)


def current_correlation_id() -> UUID | None:
    """The correlation id bound to this request or task, if any."""
    return _current.get()


@contextmanager
def correlated(correlation_id: UUID) -> Iterator[UUID]:
    """Bind a correlation id for the block, for commands and for every log line."""
    token = _current.set(correlation_id)
    with structlog.contextvars.bound_contextvars(correlation_id=str(correlation_id)):
        try:
            yield correlation_id
        finally:
            _current.reset(token)
