"""Read-model versions: a deploy that raises a version rebuilds blue/green while the old generation serves."""
from __future__ import annotations

from dataclasses import replace

from eventlog.subscriptions import keys
from eventlog.subscriptions.checkpoints import live_generation
from eventlog.subscriptions.rebuild import rebuild
from eventlog.subscriptions.runner import run_subscriber
from eventlog.subscriptions.status import status
from eventlog.subscriptions.versions import built_version, outdated, rebuild_outdated

from .conftest import FAST, TickCounter, append_ticks, doc, total


def test_a_raised_version_is_rebuilt_into_a_new_generation_while_the_old_one_serves(tick_store, redis_client,
                                                                                     counter, unique):
    name, stream = counter.spec.name, f"tick{unique}-a"
    append_ticks(tick_store, stream, range(25))
    run_subscriber(counter, store=tick_store, redis_client=redis_client)
    assert outdated([counter], redis_client=redis_client) == []  # built by this code: version 1
    assert status(counter, store=tick_store, redis_client=redis_client).built_version == 1

    counter.spec = replace(counter.spec, version=2)  # the deploy: same name, new code
    before = status(counter, store=tick_store, redis_client=redis_client)
    assert (before.version, before.built_version, before.outdated) == (2, 1, True)
    assert outdated([counter], redis_client=redis_client) == [counter]
    seen_while_filling = []

    def while_rebuilding(subscriber, progress):
        if progress.phase == "filling":  # readers still get generation 1, complete, built by version 1
            seen_while_filling.append((live_generation(redis_client, name), built_version(redis_client, name),
                                       total(redis_client, name, 1)))

    [result] = rebuild_outdated([counter], store=tick_store, redis_client=redis_client, progress=while_rebuilding)

    assert result.switched and (result.old_generation, result.generation) == (1, 2)
    assert seen_while_filling and set(seen_while_filling) == {(1, 1, 25)}
    assert live_generation(redis_client, name) == 2 and built_version(redis_client, name) == 2
    assert doc(redis_client, name, stream, generation=2)["ns"] == list(range(25))
    after = status(counter, store=tick_store, redis_client=redis_client)
    assert (after.version, after.built_version, after.outdated) == (2, 2, False)
    assert rebuild_outdated([counter], store=tick_store, redis_client=redis_client) == []  # nothing left to do


def test_a_rebuild_begun_by_another_version_starts_afresh_rather_than_mixing_two_shapes(tick_store, redis_client,
                                                                                        counter, unique):
    name, stream = counter.spec.name, f"tick{unique}-a"
    append_ticks(tick_store, stream, range(30))
    run_subscriber(counter, store=tick_store, redis_client=redis_client)
    counter.spec = replace(counter.spec, version=2)
    partial = rebuild(counter, store=tick_store, redis_client=redis_client, max_batches=1, backoff=FAST)
    assert not partial.switched and total(redis_client, name, 2) == 10  # one batch of ten, then interrupted

    counter.spec = replace(counter.spec, version=3)  # the next deploy arrives before that rebuild finished
    [result] = rebuild_outdated([counter], store=tick_store, redis_client=redis_client)

    assert result.switched and result.generation == 2 and result.done == 30  # refilled from scratch
    assert doc(redis_client, name, stream, generation=2)["ns"] == list(range(30))
    assert built_version(redis_client, name) == 3


def test_a_read_model_that_applied_nothing_yet_is_built_by_the_code_at_hand(tick_store, redis_client, unique):
    fresh = TickCounter(f"fresh_{unique}", f"fresh{unique}-")
    fresh.spec = replace(fresh.spec, version=4)

    assert outdated([fresh], redis_client=redis_client) == []
    assert built_version(redis_client, fresh.spec.name) == 4 and not redis_client.exists(keys.rebuild_state(
        fresh.spec.name))


def test_process_managers_are_never_outdated(tick_store, redis_client, counter, unique):
    append_ticks(tick_store, f"tick{unique}-a", range(3))
    run_subscriber(counter, store=tick_store, redis_client=redis_client)
    counter.spec = replace(counter.spec, version=2, rebuildable=False)
    assert outdated([counter], redis_client=redis_client) == []
