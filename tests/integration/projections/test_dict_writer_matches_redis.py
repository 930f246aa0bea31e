"""The dict-backed writer the unit tests and the corpus use leaves what the real writer leaves in Redis.

The stored-event corpus goes through every projection twice: once over `BatchWriter` committed to
the run's Redis in one transaction, as the runner does, once over `DictReadModelWriter`; reading
Redis back must give exactly the dict writer's state.
"""
from __future__ import annotations

import json

import orders.event_types  # noqa: F401 - registers the domain events
from eventlog.memory_writer import DictReadModelWriter
from eventlog.registry import registry
from eventlog.subscriptions.keys import generation_pattern, read_model_key
from eventlog.subscriptions.writer import BatchWriter
from projections.subscribers import READ_MODELS
from tests.unit import corpus

GENERATION = 7


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _redis_state(client, name: str) -> dict:
    """The read model in Redis, in DictReadModelWriter.state()'s form."""
    state: dict = {"docs": {}, "hashes": {}, "zsets": {}, "sets": {}}
    prefix = read_model_key(name, GENERATION, "")
    for raw_key in sorted(client.scan_iter(generation_pattern(name, GENERATION))):
        absolute = _text(raw_key)
        key, kind = absolute[len(prefix):], _text(client.type(absolute))
        if kind == "string":
            state["docs"][key] = json.loads(client.get(absolute))
        elif kind == "hash":
            state["hashes"][key] = {_text(f): _text(v) for f, v in client.hgetall(absolute).items()}
        elif kind == "zset":
            state["zsets"][key] = [[_text(m), s] for m, s in client.zrange(absolute, 0, -1, withscores=True)]
        elif kind == "set":
            state["sets"][key] = sorted(_text(m) for m in client.smembers(absolute))
    return {kind: dict(sorted(values.items())) for kind, values in state.items()}


def test_the_dict_writer_leaves_what_redis_holds(redis_client):
    events = [corpus.recorded(envelope, registry) for envelope in corpus.stored_events()]
    for projection in READ_MODELS:
        name = projection.spec.name
        real, double = BatchWriter(redis_client, name=name, generation=GENERATION), DictReadModelWriter(name=name)
        for event in events:
            if event.stream_name.startswith(projection.spec.filter_prefixes):
                projection.handle(event, real)
                projection.handle(event, double)
        pipe = redis_client.pipeline(transaction=True)
        real.queue_into(pipe)
        pipe.execute()

        assert double.state()["docs"], f"{name}: the corpus wrote no documents; the comparison would be empty"
        assert _redis_state(redis_client, name) == double.state(), name
