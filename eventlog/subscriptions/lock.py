"""A Redis lease with a fencing token: one writer per subscriber, and a lost lease cannot commit.

The lock key's value is "<token> <host>:<pid>", where the token comes from a counter that only
grows. The lease expires by itself (a crashed worker never blocks the others for longer than the
TTL) and a heartbeat thread renews it while its holder works. Expiry alone is not safety: a paused
worker may wake up after someone else took over, so commits re-check the exact value under WATCH
(see commit.py) and a stale holder's transaction fails instead of writing.
"""
from __future__ import annotations

import os
import socket
import threading
import time
from typing import Any, overload

import redis

# Compare-and-act scripts: "only if the lock is still mine" must be one atomic step.
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('DEL', KEYS[1])
end
return 0
"""


def _holder() -> str:
    # Asked at each acquire, not at import: a forked child (Celery prefork) must name its own pid.
    return f"{socket.gethostname()}:{os.getpid()}"


@overload
def text(value: None) -> None: ...
@overload
def text(value: bytes | str | int | float) -> str: ...
@overload
def text(value: bytes | str | int | float | None) -> str | None: ...
def text(value: Any) -> str | None:
    """A Redis reply as str, for clients with or without decode_responses."""
    if value is None:
        return None
    return value.decode() if isinstance(value, bytes) else str(value)


class Lease:
    """One holder's claim on a lock key; `value` is what commits compare against."""

    def __init__(self, client: redis.Redis, *, key: str, fence_key: str, ttl: float = 30.0) -> None:
        self.client = client
        self.key = key
        self.fence_key = fence_key
        self.ttl_ms = max(1, int(ttl * 1000))
        self.value: str | None = None
        self.token: int | None = None
        self.lost = threading.Event()  # set when a renewal finds the lock no longer ours
        # Commits WATCH the lock key and a renewal touches it; the mutex keeps our own heartbeat
        # from aborting our own transaction.
        self.mutex = threading.Lock()
        self._stop = threading.Event()
        self._heartbeat: threading.Thread | None = None

    def acquire(self) -> bool:
        """Take the lock if it is free (never waits); start renewing it."""
        token = int(self.client.incr(self.fence_key))
        value = f"{token} {_holder()}"
        if not self.client.set(self.key, value, nx=True, px=self.ttl_ms):
            return False
        self.value, self.token = value, token
        self.lost.clear()
        self._stop.clear()
        self._heartbeat = threading.Thread(target=self._renew_until_stopped, name=f"lease:{self.key}",
                                           daemon=True)
        self._heartbeat.start()
        return True

    def acquire_waiting(self, *, timeout: float, poll: float = 0.01) -> bool:
        """Take the lock, waiting up to `timeout` seconds for its holder to let go."""
        deadline = time.monotonic() + timeout
        while True:
            if self.acquire():
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(poll)

    def renew(self) -> bool:
        """Extend the lease if it is still ours; marks it lost otherwise."""
        if self.value is None:
            return False
        with self.mutex:
            ok = bool(self.client.eval(_RENEW, 1, self.key, self.value, self.ttl_ms))
        if not ok:
            self.lost.set()
        return ok

    def release(self) -> None:
        """Stop renewing and delete the lock if it is still ours (never someone else's)."""
        self._stop.set()
        if self._heartbeat is not None and self._heartbeat is not threading.current_thread():
            self._heartbeat.join()
        self._heartbeat = None
        if self.value is not None:
            with self.mutex:
                self.client.eval(_RELEASE, 1, self.key, self.value)
        self.value = self.token = None

    def _renew_until_stopped(self) -> None:
        interval = self.ttl_ms / 3000
        while not self._stop.wait(interval):
            try:
                if not self.renew():
                    return
            except redis.RedisError:
                continue  # a blip: the next beat tries again; commits still check the value

    def __enter__(self) -> Lease:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
