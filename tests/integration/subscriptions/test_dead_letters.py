"""Poison events: retried with backoff, then parked (go on) or halted on (stop); retry and discard by hand."""
from __future__ import annotations

import logging

import pytest
from prometheus_client import REGISTRY

from eventlog.subscriptions import keys
from eventlog.subscriptions.checkpoints import read_checkpoint
from eventlog.subscriptions.dead_letters import (
    discard_all_dead_letters,
    discard_dead_letters,
    get_dead_letter,
    list_dead_letters,
    retry_dead_letter,
)
from eventlog.subscriptions.errors import DeadLetterNotFoundError, SubscriberBusyError
from eventlog.subscriptions.lock import Lease
from eventlog.subscriptions.runner import run_subscriber
from eventlog.subscriptions.status import status

from .conftest import FAST, TickCounter, append_raw, append_ticks, doc, total


def run(counter, tick_store, redis_client):
    return run_subscriber(counter, store=tick_store, redis_client=redis_client, backoff=FAST)


@pytest.fixture
def halting(unique: str) -> TickCounter:
    return TickCounter(f"halt_{unique}", f"tick{unique}-", policy="halt")


def test_a_poison_event_is_retried_then_parked_and_the_rest_applied(tick_store, redis_client, counter, unique):
    stream = f"tick{unique}-a"
    positions = append_ticks(tick_store, stream, range(10))
    counter.poison = {5}
    seen_during_retries = []

    def note_checkpoint(event):
        if event.data.n == 5:
            seen_during_retries.append(read_checkpoint(redis_client, counter.spec.name, 1))

    counter.hook = note_checkpoint
    result = run(counter, tick_store, redis_client)

    assert (result.applied, result.parked, result.halted) == (9, 1, False)
    # The events before it were committed before the retries started (and never its partial writes).
    assert seen_during_retries == [None, positions[4], positions[4]]
    assert doc(redis_client, counter.spec.name, stream) == {"count": 9, "ns": [0, 1, 2, 3, 4, 6, 7, 8, 9]}
    assert total(redis_client, counter.spec.name) == 9
    [letter] = list_dead_letters(redis_client, counter.spec.name)
    assert (letter.stream_name, letter.stream_position, letter.commit_position) == (stream, 5, positions[5])
    assert letter.event_type == "Tick" and letter.attempts == 3 and letter.policy == "park"
    assert letter.error == "RuntimeError: poison tick 5"
    assert "Traceback" in letter.traceback and "poison tick 5" in letter.traceback
    assert letter.first_failed_at <= letter.last_failed_at
    assert result.checkpoint >= positions[-1]
    info = status(counter, store=tick_store, redis_client=redis_client)
    assert (info.state, info.dead_letters, info.lag_events) == ("idle", 1, 0)
    assert "poison tick 5" in info.last_error


def test_retrying_a_parked_event_after_the_fix_applies_it_once(tick_store, redis_client, counter, unique):
    stream = f"tick{unique}-a"
    append_ticks(tick_store, stream, range(4))
    counter.poison = {2}
    run(counter, tick_store, redis_client)
    [letter] = list_dead_letters(redis_client, counter.spec.name)

    still_broken = retry_dead_letter(counter, letter.event_id, store=tick_store, redis_client=redis_client)
    assert not still_broken.succeeded and "poison tick 2" in still_broken.error
    assert get_dead_letter(redis_client, counter.spec.name, letter.event_id).attempts == 4
    assert total(redis_client, counter.spec.name) == 3  # the failed retry wrote nothing

    counter.poison.clear()
    fixed = retry_dead_letter(counter, letter.event_id, store=tick_store, redis_client=redis_client)

    assert fixed.succeeded and not fixed.resumed
    assert list_dead_letters(redis_client, counter.spec.name) == []
    assert doc(redis_client, counter.spec.name, stream)["ns"] == [0, 1, 3, 2]  # applied out of order, once
    assert run(counter, tick_store, redis_client).applied == 0
    assert total(redis_client, counter.spec.name) == 4
    with pytest.raises(DeadLetterNotFoundError):
        retry_dead_letter(counter, letter.event_id, store=tick_store, redis_client=redis_client)


def test_halt_policy_stops_before_the_poison_event_until_someone_acts(tick_store, redis_client, halting, unique):
    stream = f"tick{unique}-a"
    positions = append_ticks(tick_store, stream, range(6))
    halting.poison = {3}

    result = run(halting, tick_store, redis_client)

    assert (result.applied, result.parked, result.halted) == (3, 0, True)
    assert read_checkpoint(redis_client, halting.spec.name, 1) == positions[2]
    info = status(halting, store=tick_store, redis_client=redis_client)
    assert info.state == "halted" and "poison tick 3" in info.last_error
    assert info.lag_events == 3 and info.dead_letters == 1
    [letter] = list_dead_letters(redis_client, halting.spec.name)
    assert info.halted_on == letter.event_id and letter.policy == "halt"

    calls_before = sum(halting.calls.values())
    again = run(halting, tick_store, redis_client)
    assert again.halted and again.applied == 0
    assert sum(halting.calls.values()) == calls_before  # a halted subscriber does not even try

    halting.poison.clear()
    retried = retry_dead_letter(halting, letter.event_id, store=tick_store, redis_client=redis_client)
    assert retried.succeeded and retried.resumed
    assert read_checkpoint(redis_client, halting.spec.name, 1) == positions[3]
    assert status(halting, store=tick_store, redis_client=redis_client).state == "idle"

    resumed = run(halting, tick_store, redis_client)
    assert resumed.applied == 2 and not resumed.halted
    assert doc(redis_client, halting.spec.name, stream)["ns"] == [0, 1, 2, 3, 4, 5]


def test_discarding_the_event_a_halted_subscriber_stopped_on_skips_it(tick_store, redis_client, halting, unique):
    stream = f"tick{unique}-a"
    positions = append_ticks(tick_store, stream, range(5))
    halting.poison = {1}
    run(halting, tick_store, redis_client)
    [letter] = list_dead_letters(redis_client, halting.spec.name)

    assert discard_dead_letters(halting, [letter.event_id], redis_client=redis_client) == [letter.event_id]

    assert read_checkpoint(redis_client, halting.spec.name, 1) == positions[1]
    result = run(halting, tick_store, redis_client)
    assert result.applied == 3 and not result.halted
    assert doc(redis_client, halting.spec.name, stream)["ns"] == [0, 2, 3, 4]
    assert status(halting, store=tick_store, redis_client=redis_client).dead_letters == 0


def test_discarding_many_parked_events(tick_store, redis_client, counter, unique):
    append_ticks(tick_store, f"tick{unique}-a", range(6))
    counter.poison = {1, 3, 4}
    run(counter, tick_store, redis_client)
    letters = list_dead_letters(redis_client, counter.spec.name)
    assert [letter.stream_position for letter in letters] == [1, 3, 4]
    checkpoint = read_checkpoint(redis_client, counter.spec.name, 1)

    gone = discard_dead_letters(counter, [letters[0].event_id, letters[1].event_id, "no-such-id"],
                                redis_client=redis_client)
    assert sorted(gone) == sorted([letters[0].event_id, letters[1].event_id])
    assert [letter.stream_position for letter in list_dead_letters(redis_client, counter.spec.name)] == [4]
    assert discard_all_dead_letters(counter, redis_client=redis_client) == [letters[2].event_id]
    assert list_dead_letters(redis_client, counter.spec.name) == []
    assert read_checkpoint(redis_client, counter.spec.name, 1) == checkpoint  # parked: already past them
    assert total(redis_client, counter.spec.name) == 3


def test_an_event_of_a_type_nobody_knows_is_skipped_counted_and_warned_about_once(tick_store, redis_client, counter,
                                                                                   unique, caplog):
    stream, mystery = f"tick{unique}-a", f"Mystery{unique}"
    append_ticks(tick_store, stream, range(2))
    first = append_raw(tick_store, stream, mystery, b'{"what": 1}')
    append_ticks(tick_store, stream, range(2, 4))
    append_raw(tick_store, stream, mystery, b"not even JSON")
    labels = {"subscriber": counter.spec.name, "event_type": mystery}

    with caplog.at_level(logging.WARNING, logger="eventlog.subscriptions.catchup"):
        result = run(counter, tick_store, redis_client)

    assert (result.applied, result.parked, result.skipped, result.halted) == (4, 0, 2, False)
    assert list_dead_letters(redis_client, counter.spec.name) == []
    assert doc(redis_client, counter.spec.name, stream)["ns"] == [0, 1, 2, 3]
    assert REGISTRY.get_sample_value("ordersys_subscriber_events_skipped_total", labels) == 2
    [warning] = [r for r in caplog.records if mystery in r.getMessage()]
    assert warning.levelno == logging.WARNING
    assert f"{stream}@2" in warning.getMessage() and str(first) in warning.getMessage()
    assert read_checkpoint(redis_client, counter.spec.name, 1) >= tick_store.head_position() - 1


def test_a_halting_subscriber_goes_past_an_unknown_type_too(tick_store, redis_client, halting, unique):
    stream = f"tick{unique}-a"
    append_raw(tick_store, stream, f"Mystery{unique}", b"{}")
    append_ticks(tick_store, stream, range(3))

    result = run(halting, tick_store, redis_client)

    assert (result.applied, result.skipped, result.halted) == (3, 1, False)


def test_a_known_type_that_cannot_be_decoded_is_parked_without_retries_and_logged(tick_store, redis_client, counter,
                                                                                  unique, caplog):
    stream = f"tick{unique}-a"
    append_ticks(tick_store, stream, range(2))
    append_raw(tick_store, stream, "Tick", b'{"n": "not a number"}')
    append_ticks(tick_store, stream, range(2, 4))

    with caplog.at_level(logging.ERROR, logger="eventlog.subscriptions.catchup"):
        result = run(counter, tick_store, redis_client)

    assert (result.applied, result.parked) == (4, 1)
    [letter] = list_dead_letters(redis_client, counter.spec.name)
    assert letter.event_type == "Tick" and letter.attempts == 1 and letter.stream_position == 2
    assert "EventDecodeError" in letter.error and "does not match Tick" in letter.error
    assert doc(redis_client, counter.spec.name, stream)["ns"] == [0, 1, 2, 3]
    [error] = [r for r in caplog.records if r.levelno == logging.ERROR]
    message = error.getMessage()
    assert counter.spec.name in message and f"{stream}@2" in message and "'Tick'" in message
    assert "parked" in message and "does not match Tick" in message


def test_a_handler_failure_that_halts_is_logged_at_error(tick_store, redis_client, halting, unique, caplog):
    append_ticks(tick_store, f"tick{unique}-a", range(3))
    halting.poison = {1}

    with caplog.at_level(logging.ERROR, logger="eventlog.subscriptions.catchup"):
        assert run(halting, tick_store, redis_client).halted

    [error] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert "halted before" in error.getMessage() and "poison tick 1" in error.getMessage()
    assert f"tick{unique}-a@1" in error.getMessage()


def test_retry_needs_the_lock(tick_store, redis_client, counter, unique, monkeypatch):
    append_ticks(tick_store, f"tick{unique}-a", range(2))
    counter.poison = {0}
    run(counter, tick_store, redis_client)
    [letter] = list_dead_letters(redis_client, counter.spec.name)
    holder = Lease(redis_client, key=keys.lock(counter.spec.name), fence_key=keys.fence(counter.spec.name))
    assert holder.acquire()
    monkeypatch.setattr(Lease, "acquire_waiting", lambda self, timeout, poll=0.01: self.acquire())
    try:
        with pytest.raises(SubscriberBusyError):
            retry_dead_letter(counter, letter.event_id, store=tick_store, redis_client=redis_client)
    finally:
        holder.release()
