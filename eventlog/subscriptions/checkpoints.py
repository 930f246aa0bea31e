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
from eventlog.subscriptions.partitions import scope_name


def live_generation(client: redis.Redis, name: str) -> int:
    """The generation readers use (1 until a rebuild switches it)."""
    value = text(client.get(keys.generation_pointer(name)))
    return int(value) if value else 1


def read_checkpoint(client: redis.Redis, name: str, generation: int) -> int | None:
    """The checkpoint of one generation; None before its first commit."""
    value = text(client.get(keys.checkpoint(name, generation)))
    return None if value is None else int(value)


def live_checkpoints(client: redis.Redis, names: Sequence[str]) -> dict[str, tuple[int, int | None]]:
    """(live generation, checkpoint) of each name, read with two round trips however many names.

    A partitioned subscriber's checkpoint is its slowest partition's: everything up to it is applied
    in every partition (None until each partition has committed once).
    """
    if not names:
        return {}
    replies = client.mget([key for name in names for key in (keys.generation_pointer(name),
                                                               keys.partition_count(name))])
    generations = [int(text(value)) if value else 1 for value in replies[0::2]]
    counts = [int(text(value)) if value else 1 for value in replies[1::2]]
    wanted = [keys.checkpoint(scope_name(name, index, count), gen)
              for name, gen, count in zip(names, generations, counts, strict=True) for index in range(count)]
    values = iter(client.mget(wanted))
    found: dict[str, tuple[int, int | None]] = {}
    for name, gen, count in zip(names, generations, counts, strict=True):
        checkpoints = [None if value is None else int(text(value)) for value in (next(values) for _ in range(count))]
        found[name] = (gen, None if None in checkpoints else min(c for c in checkpoints if c is not None))
    return found


def at_or_past(checkpoint: int | None, position: int) -> bool:
    """Whether a checkpoint covers a commit position."""
    return checkpoint is not None and checkpoint >= position
