"""Redis key names of read models and subscriptions, in one place so readers and writers agree.

Read-model keys carry the projection name and a generation (`rm:<name>:g<gen>:<key>`), so a
rebuild fills generation N+1 while N keeps serving, then the pointer switches atomically.
For a partitioned subscriber, `name` in the per-partition keys below (read models, checkpoint,
lock, fence, dead letters, status, rebuild lock and state) is the partition's scope, a Redis
Cluster hash tag such as `{orders.p2of4}` (see partitions.py); the generation pointer, built
version and partition count stay per subscriber.
"""
from __future__ import annotations


def read_model_key(name: str, generation: int, key: str) -> str:
    """The absolute key of a projection's relative key in one generation."""
    return f"rm:{name}:g{generation}:{key}"


def generation_pattern(name: str, generation: int) -> str:
    """SCAN pattern matching every key of one generation (to delete an old one)."""
    return f"rm:{name}:g{generation}:*"


def all_generations_pattern(name: str) -> str:
    """SCAN pattern matching every read-model key of a projection (or partition scope), whatever its generation."""
    return f"rm:{name}:g*"


def all_partitions_pattern(name: str) -> str:
    """SCAN pattern matching every read-model key of every partition scope of a subscriber."""
    return f"rm:{{{name}.p*"


def generation_of(name: str, key: str) -> int | None:
    """The generation a read-model key belongs to (None if it is not one of this projection's)."""
    prefix = f"rm:{name}:g"
    if not key.startswith(prefix):
        return None
    generation = key[len(prefix):].partition(":")[0]
    return int(generation) if generation.isdigit() else None


def generation_pointer(name: str) -> str:
    """Holds the generation that readers should use (absent: generation 1)."""
    return f"sub:{name}:generation"


def built_version(name: str) -> str:
    """The read-model version the live generation was built with (absent: version 1, before versions)."""
    return f"sub:{name}:version"


def partition_count(name: str) -> str:
    """How many partitions the serving generation was built with (absent: 1), beside the pointer."""
    return f"sub:{name}:partitions"


def checkpoint(name: str, generation: int) -> str:
    """Commit position the subscriber has fully applied, per generation."""
    return f"sub:{name}:g{generation}:checkpoint"


def lock(name: str) -> str:
    """Single-writer lock; its value is the fencing token checked at commit."""
    return f"sub:{name}:lock"


def fence(name: str) -> str:
    """Counter handing out the lock's fencing tokens (strictly increasing, never reused)."""
    return f"sub:{name}:fence"


def rebuild_lock(name: str) -> str:
    """Lock held by the one rebuild of a subscriber (separate from the live lock, so both run)."""
    return f"sub:{name}:rebuild:lock"


def rebuild_start_lock(name: str) -> str:
    """Held briefly by whoever starts, resumes or switches a partitioned rebuild (fillers hold their partition's)."""
    return f"sub:{name}:rebuild:start"


def rebuild_state(name: str) -> str:
    """Hash describing a rebuild in progress (target generation, events done); absent when none."""
    return f"sub:{name}:rebuild"


def rebuild_dead_letters(name: str, generation: int) -> str:
    """Events parked while rebuilding a generation; they replace the live ones at the switch."""
    return f"sub:{name}:g{generation}:dead"


def dead_letters(name: str) -> str:
    """Hash of parked events: event id -> JSON record."""
    return f"sub:{name}:dead"


def status(name: str) -> str:
    """Hash with the subscriber's state (running/halted/rebuilding), last run, last error."""
    return f"sub:{name}:status"


PROGRESS_CHANNEL = "sub:progress"
"""Pub/sub channel announcing '<name> <generation> <position>' after each commit (read-your-writes waiters)."""
