"""Fixtures of the fault-injection suite: a stack per module (from the session's database `template`)."""
from __future__ import annotations

import faulthandler
import signal
import sys
from collections.abc import Iterator

import pytest

from tests.faults.stack import Stack, Template

SCENARIO_SECONDS = 150  # hard ceiling of one scenario, on top of every wait's own deadline


@pytest.fixture(scope="module")
def stack(template: Template, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The whole product, private to the test module."""
    running = Stack(tmp_path_factory.mktemp("stack"), template)
    try:
        running.start()
        yield running
    finally:
        running.close()


class ScenarioTimeoutError(Exception):
    """A scenario ran past SCENARIO_SECONDS."""


@pytest.fixture(autouse=True)
def bounded_in_time(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail a scenario that runs too long, with every thread's stack dumped to say where it hung."""
    seconds = getattr(request.module, "SCENARIO_SECONDS", SCENARIO_SECONDS)

    def expired(signum: int, frame: object) -> None:
        raise ScenarioTimeoutError(f"{request.node.name} ran past {seconds}s")

    previous = signal.signal(signal.SIGALRM, expired)
    faulthandler.dump_traceback_later(seconds + 20, exit=False, file=sys.stderr)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        faulthandler.cancel_dump_traceback_later()
        signal.signal(signal.SIGALRM, previous)
