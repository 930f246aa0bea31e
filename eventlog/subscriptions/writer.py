"""The unit of work behind ReadModelWriter: reads see the batch's own writes; writes are queued.

Nothing reaches Redis until the runner queues the batch into its MULTI/EXEC transaction, together
with the new checkpoint, so a batch is applied entirely or not at all.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import redis

from eventlog.subscriptions.keys import read_model_key
from eventlog.subscriptions.lock import text

_DELETED = object()
_ABSENT = object()  # in the undo log: the batch had no view of this key before
_ZSET = "\x00zset:"  # in the undo log: a sorted-set member's (or view's) entry, not a document's (no key starts so)


class _ZView:
    """The batch's changes to one sorted set: members added (True) or removed (False), after a delete if `cleared`."""

    __slots__ = ("changes", "cleared")

    def __init__(self, *, cleared: bool = False) -> None:
        self.cleared = cleared
        self.changes: dict[str, bool] = {}


class Savepoint:
    """A place in a batch to roll back to (how many writes and doc changes there were)."""

    __slots__ = ("ops", "undo")

    def __init__(self, ops: int, undo: int) -> None:
        self.ops = ops
        self.undo = undo


class BatchWriter:
    """Collects one batch's read-model writes for one projection generation."""

    def __init__(self, client: redis.Redis, *, name: str, generation: int) -> None:
        self.client = client
        self.name = name
        self.generation = generation
        self._docs: dict[str, Any] = {}  # absolute key -> doc (or _DELETED), the batch's view
        self._ops: list[Callable[[Any], None]] = []  # applied in order to the transaction pipeline
        self._undo: list[tuple[str, Any]] = []  # (absolute key, previous view) so one event can be rolled back
        # Absolute key -> the batch's changes to a sorted set's members (member -> present), and whether the
        # batch deleted the key first (then Redis's members no longer count): what `zmembers` adds to Redis.
        self._zviews: dict[str, _ZView] = {}

    def _key(self, key: str) -> str:
        return read_model_key(self.name, self.generation, key)

    @property
    def pending(self) -> int:
        """How many writes are queued."""
        return len(self._ops)

    # -- documents ------------------------------------------------------------------------------

    def get_doc(self, key: str) -> dict[str, Any] | None:
        absolute = self._key(key)
        if absolute in self._docs:
            doc = self._docs[absolute]
            return None if doc is _DELETED else json.loads(json.dumps(doc))
        raw = self.client.get(absolute)
        return None if raw is None else json.loads(raw)

    def set_doc(self, key: str, doc: dict[str, Any]) -> None:
        absolute = self._key(key)
        body = json.dumps(doc, separators=(",", ":"), sort_keys=True)
        self._remember(absolute)
        self._docs[absolute] = json.loads(body)
        self._ops.append(lambda pipe: pipe.set(absolute, body))

    def delete(self, key: str) -> None:
        absolute = self._key(key)
        self._remember(absolute)
        self._docs[absolute] = _DELETED
        self._undo.append((_ZSET + absolute, self._zviews.get(absolute, _ABSENT)))  # the whole view, restored
        self._zviews[absolute] = _ZView(cleared=True)
        self._ops.append(lambda pipe: pipe.delete(absolute))

    # -- structures (queued only; only sorted-set members are read back, through `zmembers`) ----

    def hset(self, key: str, mapping: dict[str, str | int]) -> None:
        absolute, values = self._key(key), dict(mapping)
        self._ops.append(lambda pipe: pipe.hset(absolute, mapping=values))

    def hincrby(self, key: str, field: str, amount: int) -> None:
        absolute = self._key(key)
        self._ops.append(lambda pipe: pipe.hincrby(absolute, field, amount))

    def zadd(self, key: str, mapping: dict[str, float]) -> None:
        absolute, values = self._key(key), dict(mapping)
        self._change_zset(absolute, values, present=True)
        self._ops.append(lambda pipe: pipe.zadd(absolute, values))

    def zrem(self, key: str, *members: str) -> None:
        absolute = self._key(key)
        if members:
            self._change_zset(absolute, members, present=False)
            self._ops.append(lambda pipe: pipe.zrem(absolute, *members))

    def zmembers(self, key: str) -> list[str]:
        absolute = self._key(key)
        view = self._zviews.get(absolute) or _ZView()
        stored: list[bytes | str] = [] if view.cleared else self.client.zrange(absolute, 0, -1)  # type: ignore[assignment]
        members = {text(member) for member in stored}
        members.update(member for member, present in view.changes.items() if present)
        members.difference_update(member for member, present in view.changes.items() if not present)
        return sorted(members)

    def _change_zset(self, absolute: str, members: Any, *, present: bool) -> None:
        view = self._zviews.get(absolute)
        if view is None:
            view = self._zviews[absolute] = _ZView()
        for member in members:  # per member, so a batch writing one index many times stays linear
            self._undo.append((_ZSET + absolute, (member, view.changes.get(member, _ABSENT))))
            view.changes[member] = present

    def zincrby(self, key: str, amount: float, member: str) -> None:
        absolute = self._key(key)
        self._change_zset(absolute, (member,), present=True)
        self._ops.append(lambda pipe: pipe.zincrby(absolute, amount, member))

    def sadd(self, key: str, *members: str) -> None:
        absolute = self._key(key)
        if members:
            self._ops.append(lambda pipe: pipe.sadd(absolute, *members))

    def srem(self, key: str, *members: str) -> None:
        absolute = self._key(key)
        if members:
            self._ops.append(lambda pipe: pipe.srem(absolute, *members))

    # -- committing -----------------------------------------------------------------------------

    def queue_into(self, pipe: Any) -> None:
        """Queue every write, in order, into a transaction pipeline already in MULTI mode."""
        for op in self._ops:
            op(pipe)

    def discard(self) -> None:
        """Forget the batch (a failed event's partial writes must not be committed)."""
        self._docs.clear()
        self._ops.clear()
        self._undo.clear()
        self._zviews.clear()

    # -- savepoints (so one failed event's writes can be dropped while the batch's others stay) ----

    def savepoint(self) -> Savepoint:
        """Mark the current state; `rollback(mark)` forgets every write made after it."""
        return Savepoint(len(self._ops), len(self._undo))

    def rollback(self, mark: Savepoint) -> None:
        """Forget the writes queued since `mark`, and restore the batch's view of documents."""
        del self._ops[mark.ops:]
        while len(self._undo) > mark.undo:
            absolute, previous = self._undo.pop()
            if absolute.startswith(_ZSET):
                self._undo_zset(absolute[len(_ZSET):], previous)
            elif previous is _ABSENT:
                self._docs.pop(absolute, None)
            else:
                self._docs[absolute] = previous

    def _undo_zset(self, absolute: str, previous: Any) -> None:
        if isinstance(previous, tuple):  # one member's earlier state in the view
            member, was = previous
            view = self._zviews.get(absolute)
            if view is not None:
                if was is _ABSENT:
                    view.changes.pop(member, None)
                else:
                    view.changes[member] = was
        elif previous is _ABSENT:  # the whole view, before a delete
            self._zviews.pop(absolute, None)
        else:
            self._zviews[absolute] = previous

    def _remember(self, absolute: str) -> None:
        self._undo.append((absolute, self._docs.get(absolute, _ABSENT)))
