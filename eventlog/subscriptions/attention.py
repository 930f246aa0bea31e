"""Which subscribers need a human right now (halted, or holding dead letters), in two Redis round trips
(the partition counts, then every partition's status and dead letters).

Cheap enough for every admin page and every /healthz call: no event-store read, no lag count.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import redis

from eventlog.subscriptions import keys
from eventlog.subscriptions.lock import text
from eventlog.subscriptions.partitions import live_scopes


@dataclass(frozen=True, slots=True)
class Attention:
    """One subscriber's need for a human: halted before an event, and/or parked events."""

    name: str
    halted_on: str | None  # the event id it stopped before
    dead_letters: int

    @property
    def reasons(self) -> list[str]:
        """What is wrong, in words (empty when nothing is)."""
        found = []
        if self.halted_on:
            found.append(f"subscriber {self.name} is halted before event {self.halted_on}")
        if self.dead_letters:
            found.append(f"subscriber {self.name} has {self.dead_letters} dead "
                         f"letter{'s' if self.dead_letters != 1 else ''}")
        return found


def needing_attention(names: Iterable[str], *, redis_client: redis.Redis) -> list[Attention]:
    """The subscribers among `names` that are halted or have dead letters (in any of their partitions)."""
    names = list(names)
    scopes = live_scopes(redis_client, names)
    pipe = redis_client.pipeline(transaction=False)
    for name in names:
        for scope in scopes[name]:
            pipe.hget(keys.status(scope), "halted_on")
            pipe.hlen(keys.dead_letters(scope))
    answers = iter(pipe.execute())
    found = []
    for name in names:
        halted_on, dead = None, 0
        for _ in scopes[name]:
            halted_on = halted_on or text(next(answers)) or None
            dead += int(next(answers) or 0)
        if halted_on or dead:
            found.append(Attention(name, halted_on, dead))
    return found
