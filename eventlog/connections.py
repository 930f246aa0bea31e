"""The one place that hands out connections and per-process resources, with one fork rule.

Call sites ask here for the event store (`event_store()`: one per process, one gRPC client per
thread inside it) and the read-model Redis (`redis()`); other layers register their per-process
resources here (`per_process()`: the nudge publisher thread, the aggregate-state cache, thread
pools, ...). `EventlogConfig.ready()` configures it from settings; tests swap the store or Redis
with `use()`.

Why one fork rule: a forked child (gunicorn workers, Celery prefork) must not use what its parent
made. Threads do not survive a fork, a lock held by another thread at fork time is never released
in the child, and a gRPC channel shared with the parent corrupts both. One `os.register_at_fork`
hook resets every registered resource in the child; each is made afresh on first use there.
Redis connection pools need no reset: redis-py notices the new pid and reconnects by itself.
"""
from __future__ import annotations

import atexit
import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

from eventlog.store import EventStore

if TYPE_CHECKING:
    from redis import Redis

    from eventlog.memory import InMemoryEventStore

T = TypeVar("T")
log = logging.getLogger(__name__)


class ConnectionsNotConfiguredError(RuntimeError):
    """A connection was asked for before `configure()` ran (EventlogConfig.ready() runs it)."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Where the connections go."""

    eventstore_url: str
    redis_cache_alias: str = "default"  # the django-redis cache whose Redis holds the read models


@dataclass(slots=True)
class _Overrides:
    store: EventStore | InMemoryEventStore | None = None
    redis: Redis | None = None


_settings: Settings | None = None
_store: EventStore | None = None
_overrides = _Overrides()
_lock = threading.Lock()
_after_fork: dict[str, Callable[[], None]] = {}  # name -> what resets it in a forked child
_resources: dict[str, PerProcess[object]] = {}


def configure(*, eventstore_url: str, redis_cache_alias: str = "default") -> None:
    """Point the connections at these services (a changed event store URL closes the old store)."""
    global _settings, _store
    with _lock:
        new = Settings(eventstore_url=eventstore_url, redis_cache_alias=redis_cache_alias)
        if _store is not None and (_settings is None or _settings.eventstore_url != eventstore_url):
            _store.close()
            _store = None
        _settings = new


def settings() -> Settings:
    """The configured settings; raises ConnectionsNotConfiguredError before `configure()`."""
    if _settings is None:
        raise ConnectionsNotConfiguredError(
            "eventlog.connections is not configured: add 'eventlog' to INSTALLED_APPS and call "
            "django.setup(), or call eventlog.connections.configure(eventstore_url=...) first")
    return _settings


def event_store() -> EventStore:
    """The process's event store (it keeps one gRPC client per thread, made on first use)."""
    global _store
    override = _overrides.store
    if override is not None:
        return override  # type: ignore[return-value]  # the in-memory double has the same interface
    store = _store
    if store is None:
        url = settings().eventstore_url
        with _lock:
            if _store is None:
                _store = EventStore(url)
            store = _store
    return store


def redis() -> Redis:
    """The read-model Redis: django-redis's client of the configured cache (one pool per process)."""
    override = _overrides.redis
    if override is not None:
        return override
    # By way of django-redis, so the read models and the Django cache share one pool and one
    # configuration (CACHES), and a test that changes CACHES changes both.
    from django_redis import get_redis_connection

    client: Redis = get_redis_connection(settings().redis_cache_alias)  # django-redis ships no types
    return client


@contextmanager
def use(*, store: EventStore | InMemoryEventStore | None = None, redis: Redis | None = None) -> Iterator[None]:
    """For tests and benches: hand out `store` and/or `redis` in this process until the block ends."""
    before = _Overrides(_overrides.store, _overrides.redis)
    if store is not None:
        _overrides.store = store
    if redis is not None:
        _overrides.redis = redis
    try:
        yield
    finally:
        _overrides.store, _overrides.redis = before.store, before.redis


# -- per-process resources ---------------------------------------------------------------------


class PerProcess(Generic[T]):
    """One `T` per process, made on first use; a forked child makes its own, leaving the parent's alone."""

    def __init__(self, name: str, factory: Callable[[], T]) -> None:
        self.name = name
        self._factory = factory
        self._value: T | None = None
        self._lock = threading.Lock()

    def get(self) -> T:
        """This process's `T`."""
        value = self._value
        if value is None:
            with self._lock:
                if self._value is None:
                    self._value = self._factory()
                value = self._value
        return value

    def forget(self) -> None:
        """Drop this process's `T` without closing it (in a forked child it is the parent's)."""
        self._value = None
        self._lock = threading.Lock()  # another thread may have held it when the process forked


def per_process(name: str, factory: Callable[[], T]) -> PerProcess[T]:
    """Register a resource made by `factory` once per process; a forked child makes its own."""
    resource = PerProcess(name, factory)
    on_fork(name, resource.forget)
    _resources[name] = resource  # type: ignore[assignment]  # T is only known to the caller
    return resource


def on_fork(name: str, reset: Callable[[], None]) -> None:
    """Call `reset()` in every forked child, before it runs anything else (a name registers once)."""
    with _lock:
        _after_fork[name] = reset


def registered() -> tuple[str, ...]:
    """The names of everything reset after a fork (the event store's clients and each resource)."""
    return tuple(_after_fork)


def resources() -> dict[str, PerProcess[object]]:
    """The registered per-process resources, by name."""
    return dict(_resources)


def _reset_event_store() -> None:
    if _store is not None:
        _store.forget_inherited_clients()


def _after_fork_in_child() -> None:
    global _lock
    _lock = threading.Lock()
    for name, reset in tuple(_after_fork.items()):
        try:
            reset()
        except Exception:  # one broken reset must not leave the others undone
            log.exception("resetting %s after fork failed", name)


def _close_at_exit() -> None:
    # Close gRPC channels while the interpreter is whole (grpc's __del__ fails in teardown).
    if _store is not None:
        _store.close()


on_fork("eventlog.event_store", _reset_event_store)
os.register_at_fork(after_in_child=_after_fork_in_child)
atexit.register(_close_at_exit)
