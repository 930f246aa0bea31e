"""JSON in and out for typed dataclasses: Decimal, UUID and datetime round-trip exactly.

Pydantic's TypeAdapter does the type-directed work: Decimals are written as strings (money
is never a float) and read back as Decimals; datetimes as ISO 8601 with their offset.
"""
from __future__ import annotations

import json
from typing import Any, TypeVar

from pydantic import TypeAdapter

T = TypeVar("T")


# One adapter per class, built on first use (building one is the expensive part).
_adapters: dict[type[Any], TypeAdapter[Any]] = {}


def _adapter(cls: type[T]) -> TypeAdapter[T]:
    adapter = _adapters.get(cls)
    if adapter is None:
        adapter = _adapters.setdefault(cls, TypeAdapter(cls))
    return adapter


def to_json(value: Any) -> bytes:
    """Encode a dataclass (or any pydantic-supported value) as compact JSON bytes."""
    return _adapter(type(value)).dump_json(value)


def to_plain(value: Any) -> Any:
    """The JSON-compatible Python structure of a value (dicts, lists, strings, numbers)."""
    return _adapter(type(value)).dump_python(value, mode="json")


def from_plain(cls: type[T], plain: Any) -> T:
    """Rebuild a typed value from its JSON-compatible structure, strictly by the class's hints."""
    return _adapter(cls).validate_python(plain)


def parse(data: bytes) -> Any:
    """Parse JSON bytes; raises ValueError on malformed input."""
    return json.loads(data)
