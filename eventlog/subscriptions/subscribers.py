"""Every subscriber the runner feeds, registered by the app that owns it (from its AppConfig.ready()).

Read models come first, then process managers, whatever order the apps register in, so a catch-up
round always projects before it reacts; within a group, registration order is kept.
"""
from __future__ import annotations

import dataclasses
import threading
from collections.abc import Mapping

from eventlog.subscriptions.base import Subscriber
from eventlog.subscriptions.partitions import check_count

__all__ = ["PROCESS_MANAGER", "READ_MODEL", "all_subscribers", "configure_partitions", "group_of",
           "register_subscriber", "subscriber"]

READ_MODEL = "read model"
PROCESS_MANAGER = "process manager"
_GROUPS = (READ_MODEL, PROCESS_MANAGER)  # the order a catch-up round runs them in

_registered: dict[str, list[Subscriber]] = {group: [] for group in _GROUPS}
_partition_counts: dict[str, int] = {}  # operators' choice of P per subscriber name (settings)
_lock = threading.Lock()


def register_subscriber(candidate: Subscriber, *, group: str, partitions: int | None = None) -> None:
    """Feed `candidate` from now on (a second subscriber with the same spec name is ignored).

    `partitions` (or the configured count for its name) overrides the P of its spec.
    """
    if group not in _GROUPS:
        raise ValueError(f"unknown subscriber group {group!r}; expected one of {', '.join(_GROUPS)}")
    with _lock:
        if any(s.spec.name == candidate.spec.name for members in _registered.values() for s in members):
            return
        _split(candidate, partitions or _partition_counts.get(candidate.spec.name))
        _registered[group].append(candidate)


def configure_partitions(counts: Mapping[str, int]) -> None:
    """Run the named subscribers in this many partitions (those registered already and those to come)."""
    with _lock:
        _partition_counts.update(counts)
        for candidate in (s for members in _registered.values() for s in members):
            _split(candidate, counts.get(candidate.spec.name))


def _split(candidate: Subscriber, count: int | None) -> None:
    if count is None or count == candidate.spec.partitions:
        return
    check_count(candidate.spec, count)
    candidate.spec = dataclasses.replace(candidate.spec, partitions=count)


def all_subscribers() -> tuple[Subscriber, ...]:
    """The registered read models, then the registered process managers."""
    return tuple(s for group in _GROUPS for s in _registered[group])


def subscriber(name: str) -> Subscriber:
    """The subscriber with this spec name (KeyError if there is none)."""
    for candidate in all_subscribers():
        if candidate.spec.name == name:
            return candidate
    raise KeyError(name)


def group_of(name: str) -> str:
    """The group the subscriber with this spec name was registered in (KeyError if there is none)."""
    for group in _GROUPS:
        if any(candidate.spec.name == name for candidate in _registered[group]):
            return group
    raise KeyError(name)
