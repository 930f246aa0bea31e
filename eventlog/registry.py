"""Maps event type names to domain event classes, with upcasters for older payloads.

History is never rewritten: a payload stored at an older schema_version is upgraded step by
step (v1 -> v2 -> ...) on read, by functions registered here.
"""
from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypedDict

from eventlog import codec, pii
from eventlog.envelope import UnknownEvent
from eventlog.errors import EventDecodeError, UnknownEventTypeError
from eventlog.pii.keys import Keyring
from eventlog.pii.paths import open_paths, seal_paths


class DecodePlace(TypedDict):
    """Where an event that cannot be decoded sits: the keyword arguments of EventDecodeError."""

    stream_name: str
    stream_position: int
    event_type: str


Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class EventType:
    """One registered event type: its name, class, current schema version and personal fields."""

    name: str
    cls: type
    schema_version: int
    # Dotted payload paths sealed under the data subject's key (the class's PERSONAL_FIELDS).
    personal_fields: tuple[str, ...] = ()


class EventRegistry:
    """Event classes by name and by class, plus the upcasters between schema versions."""

    def __init__(self) -> None:
        self._by_name: dict[str, EventType] = {}
        self._by_class: dict[type, EventType] = {}
        self._upcasters: dict[tuple[str, int], Upcaster] = {}

    def register(self, cls: type, *, name: str | None = None, schema_version: int = 1) -> type:
        """Register an event class under its class name (or the given name)."""
        event_type = EventType(name or cls.__name__, cls, schema_version,
                               tuple(getattr(cls, "PERSONAL_FIELDS", ())))
        known = self._by_name.get(event_type.name)
        if known is not None and known.cls is not cls:
            raise ValueError(f"event type {event_type.name!r} is already registered to {known.cls!r}")
        self._by_name[event_type.name] = event_type
        self._by_class[cls] = event_type
        return cls

    def upcaster(self, name: str, *, from_version: int) -> Callable[[Upcaster], Upcaster]:
        """Decorator: register a function turning a `from_version` payload into the next version."""

        def decorate(function: Upcaster) -> Upcaster:
            self._upcasters[(name, from_version)] = function
            return function

        return decorate

    def event_types(self) -> tuple[EventType, ...]:
        """Every registered event type, in registration order."""
        return tuple(self._by_name.values())

    def upcaster_versions(self, name: str) -> tuple[int, ...]:
        """The schema versions of event type `name` that have an upcaster to the next one, ascending."""
        return tuple(sorted(version for (event_type, version) in self._upcasters if event_type == name))

    def type_of(self, event: Any) -> EventType:
        """The registered type of a domain event instance."""
        try:
            return self._by_class[type(event)]
        except KeyError:
            raise UnknownEventTypeError(f"{type(event).__name__} is not a registered event class") from None

    def knows(self, name: str) -> bool:
        """Whether an event type name is registered."""
        return name in self._by_name

    def encode(self, event: Any, *, subject: str | None = None,
               keyring: Keyring | None = None) -> tuple[EventType, bytes]:
        """The registered type and JSON bytes of a domain event, its personal fields sealed for `subject`.

        A personal field is never written in clear: without a subject this raises MissingSubjectError,
        and when the keyring cannot seal, KeyringUnavailableError (for an erased subject the values
        are written as ERASED).
        """
        event_type = self.type_of(event)
        if not event_type.personal_fields:
            return event_type, codec.to_json(event)
        if not subject:
            raise pii.MissingSubjectError(f"{event_type.name} carries personal fields: encoding it needs the "
                                          "data subject whose key seals them")
        sealed = seal_paths(codec.to_plain(event), event_type.personal_fields, subject=subject,
                            context=event_type.name, keys=keyring or pii.keyring())
        return event_type, json.dumps(sealed, separators=(",", ":")).encode()

    def decode(self, data: bytes, *, event_type: str, schema_version: int, stream_name: str,
               stream_position: int, keep_unknown: bool = False) -> Any:
        """A domain event from stored bytes, upcast to the current schema version.

        An unregistered type raises EventDecodeError, or with `keep_unknown` becomes an UnknownEvent.
        """
        where: DecodePlace = {"stream_name": stream_name, "stream_position": stream_position, "event_type": event_type}
        registered = self._by_name.get(event_type)
        if registered is None:
            if keep_unknown:
                return UnknownEvent(event_type, schema_version, undecoded(data))
            raise EventDecodeError("unknown event type", **where)
        try:
            payload = codec.parse(data)
        except ValueError as error:
            raise EventDecodeError(f"malformed JSON payload ({error})", **where) from None
        if not isinstance(payload, dict):
            raise EventDecodeError("payload is not a JSON object", **where)
        payload = self._upcast(payload, registered, schema_version, where)
        if registered.personal_fields:
            payload = open_paths(payload, registered.personal_fields, context=registered.name, keys=pii.keyring())
        try:
            return codec.from_plain(registered.cls, payload)
        except ValueError as error:
            reason = f"payload does not match {registered.cls.__name__}: {error}"
            raise EventDecodeError(reason, **where) from None

    def open_stored(self, data: Any, *, event_type: str) -> Any:
        """An undecoded payload (`undecoded()`) with its personal fields opened, for showing what is stored."""
        registered = self._by_name.get(event_type)
        if registered is None or not registered.personal_fields or not isinstance(data, dict):
            return data
        return open_paths(copy.deepcopy(data), registered.personal_fields, context=registered.name,
                          keys=pii.keyring())

    def _upcast(self, payload: dict[str, Any], registered: EventType, version: int,
                where: DecodePlace) -> dict[str, Any]:
        if version > registered.schema_version or version < 1:
            raise EventDecodeError(
                f"unknown schema version {version} (this code knows 1..{registered.schema_version})", **where
            )
        while version < registered.schema_version:
            step = self._upcasters.get((registered.name, version))
            if step is None:
                raise EventDecodeError(f"no upcaster from schema version {version}", **where)
            payload = step(payload)
            version += 1
        return payload


registry = EventRegistry()
"""The process-wide registry; the orders app registers its events here when it loads."""


def undecoded(data: bytes) -> Any:
    """What is stored, for display: the JSON, or its text when it is not valid JSON."""
    try:
        return json.loads(data) if data else None
    except ValueError:
        return data.decode("utf-8", errors="replace")
