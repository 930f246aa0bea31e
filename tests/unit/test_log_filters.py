"""Repeated outage errors are rate-limited: one line per dependency per interval, with the count held back."""
from __future__ import annotations

import io
import logging

import redis

from config.log_filters import OutageRateLimitFilter, outage_of
from eventlog.errors import EventStoreUnavailable


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def logger_with_filter(clock: Clock) -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    handler.addFilter(OutageRateLimitFilter(interval=60, clock=clock))
    logger = logging.Logger("outage-test")
    logger.addHandler(handler)
    return logger, stream


def fail(logger: logging.Logger, error: BaseException, message: str = "catch-up of %s failed") -> None:
    try:
        raise error
    except BaseException:
        logger.exception(message, "orders")


def test_one_line_per_dependency_per_interval_saying_how_many_were_held_back():
    clock = Clock()
    logger, stream = logger_with_filter(clock)
    for _ in range(40):  # ten seconds of four failing subscribers a second
        fail(logger, EventStoreUnavailable("connection refused"))
        clock.now += 0.25
    fail(logger, redis.exceptions.ConnectionError("Redis is gone"))
    fail(logger, redis.exceptions.ConnectionError("Redis is gone"))
    first = stream.getvalue().splitlines()

    assert first == [
        "ERROR catch-up of orders failed (eventstore unavailable: EventStoreUnavailable: connection refused)",
        "ERROR catch-up of orders failed (redis unavailable: ConnectionError: Redis is gone)",
    ]  # no traceback, one per dependency
    clock.now += 60
    fail(logger, EventStoreUnavailable("connection refused"))
    assert stream.getvalue().splitlines()[2].endswith("; 39 more like it in the last 60 s were not logged")


def test_other_errors_keep_every_line_and_their_traceback():
    logger, stream = logger_with_filter(Clock())
    fail(logger, ValueError("a bug"))
    fail(logger, ValueError("a bug"))
    assert stream.getvalue().count("Traceback") == 2


def test_an_outage_is_recognised_through_the_errors_causes():
    try:
        try:
            raise redis.exceptions.TimeoutError("slow")
        except redis.exceptions.TimeoutError as cause:
            raise RuntimeError("task failed") from cause
    except RuntimeError as error:
        assert outage_of(error) == "redis"
    assert outage_of(ValueError("no")) is None
