"""Where a subscriber stands: its live generation and the checkpoint of each generation.

A checkpoint is the commit position in $all up to which (inclusive) every matching event has been
applied; an absent checkpoint means nothing has been applied yet (read $all from its start), which
is different from position 0 because an event may sit at position 0.
"""
from __future__ import annotations

from collections.abc import Sequence

import redis

from eventlog.subscriptions import keys
from eventlog.subscriptions.lock import text


def live_generation(client: redis.Redis, name: str) -> int:
    """The generation readers use (1 until a rebuild switches it)."""
    value = text(client.get(keys.generation_pointer(name)))
    return int(value) if value else 1


def read_checkpoint(client: redis.Redis, name: str, generation: int) -> int | None:
    """The checkpoint of one generation; None before its first commit."""
    value = text(client.get(keys.checkpoint(name, generation)))
    return None if value is None else int(value)


def live_checkpoints(client: redis.Redis, names: Sequence[str]) -> dict[str, tuple[int, int | None]]:
    """(live generation, checkpoint) of each name, read with two round trips however many names."""
    pointers = client.mget([keys.generation_pointer(name) for name in names]) if names else []
    generations = [int(text(value)) if value else 1 for value in pointers]
    values = client.mget([keys.checkpoint(name, gen) for name, gen in zip(names, generations, strict=True)]) \
        if names else []
    return {
        name: (gen, None if value is None else int(text(value)))
        for name, gen, value in zip(names, generations, values, strict=True)
    }


def at_or_past(checkpoint: int | None, position: int) -> bool:
    """Whether a checkpoint covers a commit position."""
    return checkpoint is not None and checkpoint >= position
