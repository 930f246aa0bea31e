"""The event log's own errors; esdbclient's exceptions never leak past eventlog.store."""
from __future__ import annotations


class EventLogError(Exception):
    """Root of every error raised by the event log."""


class ConcurrencyError(EventLogError):
    """The stream moved on: the expected version was not the stream's actual version."""

    def __init__(self, stream_name: str, *, expected: int | None, actual: int | None) -> None:
        self.stream_name = stream_name
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"stream {stream_name!r} is at version {_version(actual)}, not {_version(expected)} as expected"
        )


class StreamNotFoundError(EventLogError):
    """The stream has no events (never written, or soft-deleted)."""

    def __init__(self, stream_name: str) -> None:
        self.stream_name = stream_name
        super().__init__(f"stream {stream_name!r} not found")


class StreamDeletedError(EventLogError):
    """The stream was tombstoned: it can never be read or written again."""

    def __init__(self, stream_name: str) -> None:
        self.stream_name = stream_name
        super().__init__(f"stream {stream_name!r} is deleted for ever (tombstoned)")


class EventStoreUnavailableError(EventLogError):
    """The event store cannot be reached; the operation may be retried later."""


class EventDecodeError(EventLogError):
    """A stored event cannot be turned into a domain event."""

    def __init__(self, reason: str, *, stream_name: str, stream_position: int, event_type: str) -> None:
        self.reason = reason
        self.stream_name = stream_name
        self.stream_position = stream_position
        self.event_type = event_type
        super().__init__(
            f"cannot decode event {event_type!r} at {stream_name}@{stream_position}: {reason}"
        )


class UnknownEventTypeError(EventLogError):
    """An event class or name that the registry does not know."""


def _version(version: int | None) -> str:
    return "no stream" if version is None else str(version)
