"""An outage met inside a handler (a process manager's append) stops the run; it never parks or halts."""
from __future__ import annotations

import pytest
import redis

from eventlog.errors import EventStoreUnavailableError
from eventlog.subscriptions import keys
from eventlog.subscriptions.checkpoints import read_checkpoint
from eventlog.subscriptions.dead_letters import count_dead_letters
from eventlog.subscriptions.runner import run_subscriber

from .conftest import FAST, TickCounter, append_ticks, doc


@pytest.mark.parametrize("policy", ["park", "halt"])
@pytest.mark.parametrize("outage", [EventStoreUnavailableError("event store unavailable: refused"),
                                    redis.exceptions.ConnectionError("Connection refused")])
def test_a_handler_meeting_an_outage_stops_the_run_before_the_event_and_the_next_run_applies_it(
        tick_store, redis_client, unique, policy, outage):
    counter = TickCounter(f"count_{unique}", f"tick{unique}-", policy=policy, max_attempts=3)
    stream = f"tick{unique}-a"
    positions = append_ticks(tick_store, stream, range(6))
    down = {"now": True}

    def hook(event) -> None:
        if event.data.n == 3 and down["now"]:
            raise outage

    counter.hook = hook
    with pytest.raises(type(outage)):
        run_subscriber(counter, store=tick_store, redis_client=redis_client, backoff=FAST)

    name = counter.spec.name
    assert read_checkpoint(redis_client, name, 1) == positions[2]  # the events before it are kept
    assert doc(redis_client, name, stream) == {"count": 3, "ns": [0, 1, 2]}
    assert count_dead_letters(redis_client, name) == 0
    assert redis_client.hget(keys.status(name), "halted_on") is None
    assert type(outage).__name__ in redis_client.hget(keys.status(name), "last_error").decode()

    down["now"] = False  # the outage is over: the next beat goes on, nobody had to act
    result = run_subscriber(counter, store=tick_store, redis_client=redis_client, backoff=FAST)

    assert result.caught_up and not result.halted and result.parked == 0
    assert doc(redis_client, name, stream) == {"count": 6, "ns": list(range(6))}
