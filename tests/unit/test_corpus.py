"""The stored-event corpus (tests/corpus/): what is stored today must read back the same tomorrow.

Every stored event is decoded through the codec and the upcasters, replayed into its aggregate and
projected by every read model; the results must equal the committed expectations. An event class
whose fields differ from the pinned shape of its schema version fails here until its version is
bumped, an upcaster is registered and the corpus has an event of the new version (README: "Add or
change an event"). `python -m tests.unit.corpus` rewrites the expectations after an intended change.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

import orders.event_types  # noqa: F401 - registers the domain events, as the app does
from eventlog.errors import EventDecodeError
from eventlog.registry import EventRegistry
from eventlog.registry import registry as app_registry
from orders.domain.aggregate import Snapshot
from tests.unit import corpus

ENVELOPES = corpus.stored_events()
FIX = f"if the change is intended, run `{corpus.WRITE_COMMAND}` and review the diff"


@pytest.fixture(scope="module")
def events():
    return [corpus.recorded(envelope, app_registry) for envelope in ENVELOPES]


@pytest.mark.parametrize("envelope", ENVELOPES, ids=lambda e: f"{e['event_type']}-v{e['schema_version']}-"
                                                          f"{e['stream_name'][:14]}@{e['stream_position']}")
def test_every_stored_event_decodes_and_todays_version_encodes_back_the_same(envelope):
    try:
        event = corpus.recorded(envelope, app_registry)
    except EventDecodeError as error:
        pytest.fail(f"{envelope['file']}: a stored event no longer reads: {error}")

    current = app_registry.type_of(event.data).schema_version
    if envelope["schema_version"] == current:
        assert corpus.to_plain(event.data) == envelope["data"], (
            f"{envelope['file']}: {envelope['event_type']} v{current} is no longer written the way it was stored")


def test_event_classes_match_the_pinned_shape_of_their_schema_version():
    in_corpus = {(e["event_type"], e["schema_version"]) for e in ENVELOPES}

    problems = corpus.shape_problems(app_registry, corpus.pinned_shapes(), in_corpus)

    assert not problems, "\n".join(problems)


def test_aggregates_replay_to_the_expected_states(events):
    expected = json.loads(corpus.EXPECTED_AGGREGATES.read_text())

    actual = corpus.aggregate_states(events)

    for stream in sorted(expected.keys() | actual.keys()):
        assert actual.get(stream) == expected.get(stream), f"{stream} replays to another state; {FIX}"


def test_every_projection_builds_the_expected_read_model_and_the_same_one_twice(events):
    expected = json.loads(corpus.EXPECTED_READ_MODELS.read_text())

    actual = corpus.read_models(events)
    again = corpus.read_models(events + events)

    for name in sorted(expected.keys() | actual.keys()):
        assert name in expected, f"projection {name!r} has no expected read model in the corpus; {FIX}"
        assert actual.get(name) == expected[name], f"projection {name!r} builds another read model; {FIX}"
        assert again[name] == actual[name], f"projection {name!r} changes when it sees the same events again"


@pytest.mark.parametrize("cls", corpus.aggregate_classes(), ids=lambda cls: cls.KIND)
def test_snapshots_are_pinned_per_snapshot_schema(cls, events):
    pinned = corpus.pinned_snapshots(cls)
    schema = cls.SNAPSHOT_SCHEMA
    assert schema in pinned, (f"{cls.__name__}.SNAPSHOT_SCHEMA is {schema} but {corpus.rel(corpus.SNAPSHOTS)} has no "
                              f"{cls.KIND}.v{schema}.json: run `{corpus.WRITE_COMMAND}` to pin it")
    current = pinned[schema]
    history = [e.data for e in events if e.stream_name == current["stream_name"]]
    aggregate_id = cls.id_from_stream_name(current["stream_name"])

    replayed = cls.replay(aggregate_id, history, as_of=current["version"])
    restored = cls.from_snapshot(current["state"], current["version"])

    assert replayed.snapshot() == current["state"], (
        f"{cls.__name__}'s snapshot changed but SNAPSHOT_SCHEMA is still {schema}: bump it to {schema + 1} (older "
        f"snapshots are then ignored and streams replayed in full) and run `{corpus.WRITE_COMMAND}` to pin it")
    assert restored.snapshot() == current["state"], f"{cls.__name__} does not restore its own snapshot"
    from_snapshot = cls.replay(aggregate_id, history[current["version"] + 1:],
                               snapshot=_snapshot(current))
    assert from_snapshot.snapshot() == cls.replay(aggregate_id, history).snapshot()
    for older, snapshot in pinned.items():
        if older != schema:  # older code's snapshots are ignored: the repository replays instead
            assert not cls.accepts_snapshot(snapshot["state"]), f"{cls.KIND}.v{older}.json is still accepted"


def _snapshot(pinned):
    return Snapshot(state=pinned["state"], version=pinned["version"])


def test_the_registry_says_which_upcasters_exist():
    registry = EventRegistry()
    registry.register(Probe, schema_version=3)
    registry.upcaster("Probe", from_version=2)(lambda payload: payload)
    registry.upcaster("Probe", from_version=1)(lambda payload: payload)

    assert registry.upcaster_versions("Probe") == (1, 2)
    assert registry.upcaster_versions("Other") == ()
    assert [t.name for t in registry.event_types()] == ["Probe"]


# -- the shape check itself: it must fail for each thing a maintainer can forget ------------------------


@dataclass(frozen=True, slots=True)
class Probe:
    order_id: str


@dataclass(frozen=True, slots=True)
class ProbeWithGift:
    order_id: str
    gift_wrap: bool


def _registry(cls: type, *, version: int, upcast_from: tuple[int, ...] = ()) -> EventRegistry:
    registry = EventRegistry()
    registry.register(cls, name="Probe", schema_version=version)
    for old in upcast_from:
        registry.upcaster("Probe", from_version=old)(lambda payload: {**payload, "gift_wrap": False})
    return registry


PINNED_V1 = {"Probe": {"1": corpus.shape_of(Probe)}}


def test_an_added_field_without_a_new_version_says_what_to_do():
    [problem] = corpus.shape_problems(_registry(ProbeWithGift, version=1), PINNED_V1, {("Probe", 1)})

    assert "Probe's fields changed but its schema version is still 1" in problem
    assert "bump Probe.SCHEMA_VERSION to 2, register an upcaster from version 1" in problem
    assert "gift_wrap" in problem


def test_a_new_version_needs_an_upcaster_a_pinned_shape_and_a_stored_event():
    problems = corpus.shape_problems(_registry(ProbeWithGift, version=2), PINNED_V1, {("Probe", 1)})

    assert any("no upcaster from v1" in p for p in problems)
    assert any("Probe v2 has no pinned shape" in p for p in problems)
    assert any("no stored Probe v2 event" in p for p in problems)


def test_a_complete_new_version_passes():
    pinned = {"Probe": {**PINNED_V1["Probe"], "2": corpus.shape_of(ProbeWithGift)}}

    problems = corpus.shape_problems(_registry(ProbeWithGift, version=2, upcast_from=(1,)), pinned,
                                     {("Probe", 1), ("Probe", 2)})

    assert problems == []


def test_a_changed_field_type_is_a_changed_shape():
    @dataclass(frozen=True, slots=True)
    class ProbeWithIntId:
        order_id: int

    [problem] = corpus.shape_problems(_registry(ProbeWithIntId, version=1), PINNED_V1, {("Probe", 1)})

    assert "fields changed" in problem
