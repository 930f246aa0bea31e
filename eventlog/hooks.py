""""Events were appended": callbacks the write side calls after a successful append.

A plain list of callables instead of a Django signal, so the event log (the lowest layer) owns the
hook and a higher layer (the read side) plugs in from its AppConfig.ready(). A failing callback is
logged and never fails the command: its events are already stored.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

AppendCallback = Callable[[Any], None]

_callbacks: list[AppendCallback] = []
_lock = threading.Lock()


def on_append(callback: AppendCallback) -> AppendCallback:
    """Call `callback(result)` after every append that wrote events (registering twice is a no-op)."""
    with _lock:
        if callback not in _callbacks:
            _callbacks.append(callback)
    return callback


def remove(callback: AppendCallback) -> None:
    """Stop calling `callback` (no error if it was not registered)."""
    with _lock:
        if callback in _callbacks:
            _callbacks.remove(callback)


def appended(result: Any) -> None:
    """Tell every callback that `result`'s events were appended; a failing callback is only logged."""
    for callback in tuple(_callbacks):
        try:
            callback(result)
        except Exception:
            log.exception("append callback %r failed; the events are stored regardless", callback)
