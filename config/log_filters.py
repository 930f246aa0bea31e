"""Logging filters that keep the logs readable: outages rate-limited, expected refusals demoted.

An outage of the event store, Redis or the broker makes every beat tick and every task fail the same
way: without a limit, four tracebacks a second. The filter lets one line per dependency through per
interval, without the traceback, saying how many like it were held back.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

OUTAGE_INTERVAL = 60.0  # seconds between two lines about the same dependency being down


def _outage_kinds() -> tuple[tuple[str, tuple[type[BaseException], ...]], ...]:
    import kombu.exceptions
    import redis
    from django_redis.exceptions import ConnectionInterrupted

    from eventlog.errors import EventStoreUnavailable

    return (("eventstore", (EventStoreUnavailable,)),
            ("redis", (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, ConnectionInterrupted)),
            ("broker", (kombu.exceptions.OperationalError,)))


def outage_of(error: BaseException | None) -> str | None:
    """The dependency an error says is down ("eventstore", "redis", "broker"), looking through its causes."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        for dependency, kinds in _outage_kinds():
            if isinstance(error, kinds):
                return dependency
        error = error.__cause__ or error.__context__
    return None


@dataclass(slots=True)
class _Window:
    opened: float
    held_back: int = 0


class OutageRateLimitFilter(logging.Filter):
    """One line per unavailable dependency per interval (with the count held back), without its traceback."""

    def __init__(self, interval: float = OUTAGE_INTERVAL, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.interval = interval
        self.clock = clock
        self._windows: dict[str, _Window] = {}
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        dependency = outage_of(error) if record.levelno >= logging.WARNING else None
        if dependency is None:
            return True
        with self._lock:
            now, window = self.clock(), self._windows.get(dependency)
            if window is not None and now - window.opened < self.interval:
                window.held_back += 1
                return False
            held_back = window.held_back if window is not None else 0
            self._windows[dependency] = _Window(opened=now)
        message = f"{record.getMessage()} ({dependency} unavailable: {type(error).__name__}: {error})"
        if held_back:
            message += f"; {held_back} more like it in the last {self.interval:.0f} s were not logged"
        record.msg, record.args, record.exc_info, record.exc_text = message, None, None, None
        record.outage = dependency
        return True


class WarningWithoutTracebackFilter(logging.Filter):
    """Log a record at WARNING, without its traceback (for refusals such as a request's bad Host header)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno > logging.WARNING:
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        record.exc_info, record.exc_text = None, None
        return True
