"""What an unreachable Redis raises, for code that must carry on without it (and may not import redis itself)."""
from __future__ import annotations

import redis
from django_redis.exceptions import ConnectionInterrupted

# django-redis re-raises the redis-py error behind its ConnectionInterrupted; both are listed so a
# change of that habit cannot turn an outage into a crash.
REDIS_UNREACHABLE: tuple[type[Exception], ...] = (ConnectionInterrupted, redis.exceptions.ConnectionError,
                                                   redis.exceptions.TimeoutError)
