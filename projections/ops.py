"""Operational helpers for layers that may not import redis (the API): is this error "Redis is down"?

Projection status and dead letters live in `projections.console` (shared with the admin console).
"""
from __future__ import annotations

import redis
from django_redis.exceptions import ConnectionInterrupted

__all__ = ["UNAVAILABLE_ERRORS", "is_unavailable"]

# What Redis (directly or through the Django cache) raises when it cannot be reached.
UNAVAILABLE_ERRORS: tuple[type[BaseException], ...] = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    ConnectionInterrupted,
)


def is_unavailable(error: BaseException) -> bool:
    """True if `error` means Redis is down or unreachable (the caller answers 503, not 500)."""
    return isinstance(error, UNAVAILABLE_ERRORS)
