"""Server-side `$all` filters: by stream name or event type, as a regex or a list of prefixes."""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from eventlog.server.records import Record

# Window and checkpoint interval multiplier when a request gives none (EventStoreDB's defaults).
DEFAULT_MAX_WINDOW = 32
DEFAULT_CHECKPOINT_MULTIPLIER = 1


class FilterError(ValueError):
    """The filter in a request cannot be used (no expression, bad regex)."""


@dataclass(frozen=True, slots=True)
class EventFilter:
    """A compiled filter plus how often a subscription reports a checkpoint."""

    matches: Callable[[Record], bool]
    checkpoint_interval: int


def compile_filter(*, by_stream: bool, regex: str, prefixes: list[str], max_window: int,
                   multiplier: int) -> EventFilter:
    """Build a filter; regexes are searched (EventStoreDB uses Regex.IsMatch, not a full match)."""
    if prefixes:
        prefix_tuple = tuple(prefixes)
        if by_stream:
            def matches(record: Record) -> bool:
                return record.stream.startswith(prefix_tuple)
        else:
            def matches(record: Record) -> bool:
                return record.type.startswith(prefix_tuple)
    elif regex:
        try:
            search = re.compile(regex).search
        except re.error as exc:
            raise FilterError(f"Invalid regex {regex!r}: {exc}") from None
        if by_stream:
            def matches(record: Record) -> bool:
                return search(record.stream) is not None
        else:
            def matches(record: Record) -> bool:
                return search(record.type) is not None
    else:
        raise FilterError("A filter needs a regex or at least one prefix")
    window = max_window if max_window > 0 else DEFAULT_MAX_WINDOW
    # A zero multiplier would mean "checkpoint after every event scanned"; clamp to at least 1.
    interval = window * max(multiplier, DEFAULT_CHECKPOINT_MULTIPLIER)
    return EventFilter(matches=matches, checkpoint_interval=interval)
