"""A dict-backed `ReadModelWriter`: what a projection's writes would leave in Redis, without Redis.

Unit tests and the event corpus run projections over it. Values are kept the way Redis keeps them:
documents as the JSON the real writer stores (so a value JSON cannot hold fails here too), hash
fields as strings, sorted-set scores as floats, and a structure emptied of its last member is gone.
"""
from __future__ import annotations

import json
from typing import Any


class WrongTypeError(TypeError):
    """A key was used as another kind of structure than it holds (Redis: WRONGTYPE)."""


class DictReadModelWriter:
    """Records one projection's read model in dicts; every write is applied at once."""

    def __init__(self, *, name: str = "", generation: int = 1) -> None:
        self.name = name
        self.generation = generation
        self.docs: dict[str, str] = {}  # key -> the stored JSON text
        self.hashes: dict[str, dict[str, str]] = {}
        self.zsets: dict[str, dict[str, float]] = {}
        self.sets: dict[str, set[str]] = {}
        self.writes: list[tuple[Any, ...]] = []  # (method, key, *arguments), in order

    # -- documents ------------------------------------------------------------------------------

    def get_doc(self, key: str) -> dict[str, Any] | None:
        """A JSON document (a fresh copy, as read from Redis)."""
        raw = self.docs.get(key)
        return None if raw is None else json.loads(raw)

    def set_doc(self, key: str, doc: dict[str, Any]) -> None:
        """Write a JSON document (replaces it)."""
        self._claim(key, self.docs)
        self.docs[key] = json.dumps(doc, separators=(",", ":"), sort_keys=True)
        self.writes.append(("set_doc", key, json.loads(self.docs[key])))

    def delete(self, key: str) -> None:
        """Remove a key, whatever it holds."""
        for kind in (self.docs, self.hashes, self.zsets, self.sets):
            kind.pop(key, None)
        self.writes.append(("delete", key))

    # -- structures -----------------------------------------------------------------------------

    def hset(self, key: str, mapping: dict[str, str | int]) -> None:
        """Set hash fields."""
        self._claim(key, self.hashes)
        self.hashes.setdefault(key, {}).update({field: str(value) for field, value in mapping.items()})
        self.writes.append(("hset", key, dict(mapping)))

    def hincrby(self, key: str, field: str, amount: int) -> None:
        """Add to an integer hash field."""
        self._claim(key, self.hashes)
        fields = self.hashes.setdefault(key, {})
        fields[field] = str(int(fields.get(field, "0")) + amount)
        self.writes.append(("hincrby", key, field, amount))

    def zadd(self, key: str, mapping: dict[str, float]) -> None:
        """Add or re-score sorted-set members."""
        self._claim(key, self.zsets)
        self.zsets.setdefault(key, {}).update({member: float(score) for member, score in mapping.items()})
        self.writes.append(("zadd", key, dict(mapping)))

    def zrem(self, key: str, *members: str) -> None:
        """Remove sorted-set members."""
        if not members:
            return
        self._claim(key, self.zsets)
        self._remove(self.zsets, key, members)
        self.writes.append(("zrem", key, *members))

    def zmembers(self, key: str) -> list[str]:
        """A sorted set's members, sorted as text."""
        return sorted(self.zsets.get(key, {}))

    def zincrby(self, key: str, amount: float, member: str) -> None:
        """Add to a sorted-set member's score."""
        self._claim(key, self.zsets)
        scores = self.zsets.setdefault(key, {})
        scores[member] = scores.get(member, 0.0) + float(amount)
        self.writes.append(("zincrby", key, amount, member))

    def sadd(self, key: str, *members: str) -> None:
        """Add set members."""
        if not members:
            return
        self._claim(key, self.sets)
        self.sets.setdefault(key, set()).update(members)
        self.writes.append(("sadd", key, *members))

    def srem(self, key: str, *members: str) -> None:
        """Remove set members."""
        if not members:
            return
        self._claim(key, self.sets)
        self._remove(self.sets, key, members)
        self.writes.append(("srem", key, *members))

    # -- reading it all back --------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        """The whole read model as plain JSON-able data, in a stable order (for comparisons)."""
        return {
            "docs": {key: json.loads(self.docs[key]) for key in sorted(self.docs)},
            "hashes": {key: dict(sorted(self.hashes[key].items())) for key in sorted(self.hashes)},
            "zsets": {key: [[member, score] for member, score in
                            sorted(self.zsets[key].items(), key=lambda item: (item[1], item[0]))]
                      for key in sorted(self.zsets)},
            "sets": {key: sorted(self.sets[key]) for key in sorted(self.sets)},
        }

    def _claim(self, key: str, kind: dict[str, Any]) -> None:
        for other in (self.docs, self.hashes, self.zsets, self.sets):
            if other is not kind and key in other:
                raise WrongTypeError(f"WRONGTYPE: {key!r} holds another kind of value")

    @staticmethod
    def _remove(kind: dict[str, Any], key: str, members: tuple[str, ...]) -> None:
        values = kind.get(key)
        if values is None:
            return
        for member in members:
            values.pop(member, None) if isinstance(values, dict) else values.discard(member)
        if not values:  # Redis removes a structure with its last member
            del kind[key]
