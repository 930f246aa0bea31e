"""The event corpus (tests/corpus/): stored events replayed through the codec, the upcasters, the
aggregates and every projection, and the pinned shape of every event and snapshot schema version.

`python -m tests.unit.corpus` (from the repository root) rewrites the expected outputs from the
current code and pins the shape of schema versions that have none yet. It never changes a stored
event or the pinned shape of an existing version: those are history, and changing them is what
the corpus test exists to catch. Review the diff it makes before committing it.
"""
from __future__ import annotations

import dataclasses
import enum
import json
import types
import typing
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from eventlog import codec
from eventlog.envelope import EventMetadata, RecordedEvent, aggregate_id_of
from eventlog.memory_writer import DictReadModelWriter
from eventlog.registry import EventRegistry
from orders.domain.aggregate import Aggregate

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "corpus"
STREAMS = CORPUS / "streams"
SHAPES = CORPUS / "shapes.json"
SNAPSHOTS = CORPUS / "snapshots"
EXPECTED_AGGREGATES = CORPUS / "expected" / "aggregates.json"
EXPECTED_READ_MODELS = CORPUS / "expected" / "read_models.json"
WRITE_COMMAND = "python -m tests.unit.corpus"


def rel(path: Path) -> str:
    """A corpus path as the README and messages spell it."""
    return str(path.relative_to(ROOT))


# -- stored events ----------------------------------------------------------------------------------


def stored_events() -> list[dict[str, Any]]:
    """Every stored event of the corpus (the envelope as EventStoreDB keeps it), in $all order."""
    events = []
    for path in sorted(STREAMS.glob("*.json")):
        for envelope in json.loads(path.read_text())["events"]:
            events.append({**envelope, "file": rel(path)})
    events.sort(key=lambda envelope: envelope["commit_position"])
    return events


def recorded(envelope: dict[str, Any], registry: EventRegistry) -> RecordedEvent:
    """A stored event read back the way the store does it: decoded and upcast by the registry."""
    data = registry.decode(json.dumps(envelope["data"]).encode(), event_type=envelope["event_type"],
                           schema_version=envelope["schema_version"], stream_name=envelope["stream_name"],
                           stream_position=envelope["stream_position"])
    meta = envelope["metadata"]
    return RecordedEvent(
        event_id=UUID(envelope["event_id"]),
        event_type=envelope["event_type"],
        schema_version=envelope["schema_version"],
        stream_name=envelope["stream_name"],
        aggregate_id=aggregate_id_of(envelope["stream_name"]),
        stream_position=envelope["stream_position"],
        commit_position=envelope["commit_position"],
        recorded_at=datetime.fromisoformat(envelope["recorded_at"]),
        data=data,
        metadata=EventMetadata(correlation_id=UUID(meta["correlation_id"]),
                               causation_id=UUID(meta["causation_id"]) if meta.get("causation_id") else None,
                               actor=meta["actor"]),
    )


# -- shapes -----------------------------------------------------------------------------------------


def shape_of(cls: type) -> dict[str, Any]:
    """The fields of an event class and of every type inside it, by name and type (no docstrings)."""
    defs: dict[str, Any] = {}
    fields = _fields(cls, defs)
    return {"fields": fields, "types": dict(sorted(defs.items()))}


def _fields(cls: type, defs: dict[str, Any]) -> dict[str, str]:
    hints = typing.get_type_hints(cls)
    return {field.name: _render(hints[field.name], defs) for field in dataclasses.fields(cls)}


def _render(hint: Any, defs: dict[str, Any]) -> str:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is None:
        if hint is type(None):
            return "None"
        if hint is Ellipsis:
            return "..."
        if dataclasses.is_dataclass(hint) and isinstance(hint, type):
            if hint.__name__ not in defs:
                defs[hint.__name__] = {}  # claimed first, so a recursive type ends
                defs[hint.__name__] = _fields(hint, defs)
            return hint.__name__
        if isinstance(hint, type) and issubclass(hint, enum.Enum):
            defs[hint.__name__] = [member.value for member in hint]
            return hint.__name__
        return hint.__name__ if isinstance(hint, type) else repr(hint)
    if origin in (types.UnionType, typing.Union):
        return " | ".join(_render(arg, defs) for arg in args)
    if origin is typing.Literal:
        return f"Literal[{', '.join(repr(arg) for arg in args)}]"
    return f"{getattr(origin, '__name__', repr(origin))}[{', '.join(_render(arg, defs) for arg in args)}]"


def pinned_shapes() -> dict[str, dict[str, Any]]:
    """Event type -> {schema version (text) -> shape}, as committed."""
    return json.loads(SHAPES.read_text()) if SHAPES.exists() else {}


def shape_problems(registry: EventRegistry, pinned: dict[str, dict[str, Any]],
                   in_corpus: set[tuple[str, int]]) -> list[str]:
    """Why the registered events do not match their pinned shapes, upcasters and stored examples."""
    problems = []
    streams = rel(STREAMS) + "/"
    for event_type in registry.event_types():
        name, current = event_type.name, event_type.schema_version
        versions = pinned.get(name, {})
        shape = shape_of(event_type.cls)
        if str(current) not in versions:
            problems.append(f"{name} v{current} has no pinned shape in {rel(SHAPES)}: run `{WRITE_COMMAND}` to pin "
                            f"it, and add a stored {name} v{current} event under {streams}")
        elif versions[str(current)] != shape:
            problems.append(
                f"{name}'s fields changed but its schema version is still {current}: bump "
                f"{name}.SCHEMA_VERSION to {current + 1}, register an upcaster from version {current}, run "
                f"`{WRITE_COMMAND}` to pin v{current + 1}, and add a stored {name} v{current + 1} event under "
                f"{streams} (keep the v{current} ones: they test the upcaster). "
                f"Pinned: {json.dumps(versions[str(current)], sort_keys=True)}; "
                f"now: {json.dumps(shape, sort_keys=True)}")
        for version in sorted(int(v) for v in versions):
            if version > current:
                problems.append(f"{name} has a pinned shape for v{version} but the code is at v{current}: "
                                "a schema version never goes back")
        upcasters = registry.upcaster_versions(name)
        for version in range(1, current):
            if version not in upcasters:
                problems.append(f"{name} is at v{current} but has no upcaster from v{version}: stored v{version} "
                                "events could not be read")
        for version in range(1, current + 1):
            if (name, version) not in in_corpus:
                problems.append(f"no stored {name} v{version} event in {streams}: add one (a stored envelope, "
                                "as in the other files there)")
    for name, version in sorted(in_corpus):
        if not registry.knows(name):
            problems.append(f"the corpus has {name} v{version} events but no such event type is registered")
    return problems


# -- replays ----------------------------------------------------------------------------------------


def aggregate_classes() -> tuple[type[Aggregate[Any]], ...]:
    """Every aggregate a command can reach, by stream prefix."""
    from orders.domain.routes import COMMAND_ROUTES

    return tuple(sorted({route.aggregate for route in COMMAND_ROUTES.values()}, key=lambda cls: cls.KIND))


def aggregate_for(stream_name: str) -> type[Aggregate[Any]] | None:
    """The aggregate class whose stream this is (None for other streams)."""
    for cls in aggregate_classes():
        if stream_name.startswith(f"{cls.STREAM_PREFIX}-"):
            return cls
    return None


def aggregate_states(events: Iterable[RecordedEvent]) -> dict[str, dict[str, Any]]:
    """Stream -> the aggregate's version and state after replaying its corpus events."""
    by_stream: dict[str, list[RecordedEvent]] = {}
    for event in events:
        by_stream.setdefault(event.stream_name, []).append(event)
    states = {}
    for stream, history in sorted(by_stream.items()):
        cls = aggregate_for(stream)
        if cls is not None:
            aggregate = cls.replay(cls.id_from_stream_name(stream), (event.data for event in history))
            states[stream] = {"version": aggregate.version, "state": aggregate.snapshot()}
    return states


def read_models(events: list[RecordedEvent]) -> dict[str, dict[str, Any]]:
    """Projection name -> its whole read model after projecting the corpus, as the runner feeds it."""
    from projections.subscribers import READ_MODELS

    models = {}
    for projection in READ_MODELS:
        spec = projection.spec
        writer = DictReadModelWriter(name=spec.name)
        for event in events:
            # The runner's server-side filter (whole-name match of each prefix or type) comes first.
            if spec.filter_prefixes and not event.stream_name.startswith(spec.filter_prefixes):
                continue
            if spec.event_types and event.event_type not in spec.event_types:
                continue
            projection.handle(event, writer)
        models[spec.name] = writer.state()
    return models


# -- snapshots --------------------------------------------------------------------------------------


def snapshot_path(cls: type[Aggregate[Any]], schema: int) -> Path:
    """Where the pinned snapshot of one aggregate snapshot schema lives."""
    return SNAPSHOTS / f"{cls.KIND}.v{schema}.json"


def pinned_snapshots(cls: type[Aggregate[Any]]) -> dict[int, dict[str, Any]]:
    """Snapshot schema -> pinned snapshot {stream_name, version, state} of one aggregate."""
    return {int(path.stem.rpartition(".v")[2]): json.loads(path.read_text())
            for path in sorted(SNAPSHOTS.glob(f"{cls.KIND}.v*.json"))}


def _new_snapshot(cls: type[Aggregate[Any]], states: dict[str, dict[str, Any]]) -> dict[str, Any]:
    # The stream with the most history, so the snapshot holds as much state as the corpus has.
    streams = sorted((s for s in states if aggregate_for(s) is cls), key=lambda s: (-states[s]["version"], s))
    stream = streams[0]
    return {"stream_name": stream, "version": states[stream]["version"], "state": states[stream]["state"]}


# -- writing ----------------------------------------------------------------------------------------


def write(registry: EventRegistry) -> list[str]:
    """Rewrite the expected outputs; pin shapes and snapshots of versions that have none. Returns what changed."""
    changed = []
    events = [recorded(envelope, registry) for envelope in stored_events()]
    states = aggregate_states(events)
    for path, value in ((EXPECTED_AGGREGATES, states), (EXPECTED_READ_MODELS, read_models(events))):
        if _dump(path, value):
            changed.append(rel(path))
    pinned = pinned_shapes()
    for event_type in registry.event_types():
        versions = pinned.setdefault(event_type.name, {})
        if str(event_type.schema_version) not in versions:
            versions[str(event_type.schema_version)] = shape_of(event_type.cls)
            changed.append(f"{rel(SHAPES)}: pinned {event_type.name} v{event_type.schema_version}")
    _dump(SHAPES, {name: dict(sorted(v.items(), key=lambda item: int(item[0]))) for name, v in sorted(pinned.items())})
    for cls in aggregate_classes():
        path = snapshot_path(cls, cls.SNAPSHOT_SCHEMA)
        if not path.exists():
            _dump(path, _new_snapshot(cls, states))
            changed.append(rel(path))
    return changed


def _dump(path: Path, value: Any) -> bool:
    text = json.dumps(value, indent=2, sort_keys=False, ensure_ascii=False) + "\n"
    if path.exists() and path.read_text() == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return True


def main() -> None:
    """Command line: rewrite the expected outputs (see the module docstring)."""
    import orders.event_types  # noqa: F401 - registers the domain events, as the app does
    from eventlog.registry import registry

    for line in write(registry) or ["nothing changed"]:
        print(line)


def to_plain(event: Any) -> Any:
    """The JSON the codec writes for a domain event (what a stored event of today's version holds)."""
    return json.loads(codec.to_json(event))


if __name__ == "__main__":
    main()
