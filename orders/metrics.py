"""Prometheus metrics of the write side: commands by type and outcome, and append latency."""
from __future__ import annotations

from prometheus_client import Counter, Histogram

COMMANDS = Counter("ordersys_commands_total", "Commands dispatched, by command type and outcome.",
                   ["command", "outcome"])
APPEND_SECONDS = Histogram("ordersys_append_seconds", "Time to append one command's events to the event store.",
                           buckets=(0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0))


def outcome_of(error: BaseException | None, *, replayed: bool = False, appended: bool = True) -> str:
    """A low-cardinality outcome label for a finished command."""
    from eventlog.errors import ConcurrencyError, EventStoreUnavailableError
    from orders.domain.errors import DomainError

    if error is None:
        return "replayed" if replayed else ("ok" if appended else "noop")
    if isinstance(error, DomainError):
        return "refused"
    if isinstance(error, ConcurrencyError):
        return "conflict"
    if isinstance(error, EventStoreUnavailableError):
        return "unavailable"
    return "error"
