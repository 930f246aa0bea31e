"""How long to wait before trying again (a failed event, a conflicting append): exponential, capped, jittered."""
from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Backoff:
    """Delay before attempt n+1 is base * 2^(n-1), capped; part of it random so retries don't align.

    The defaults keep a poison event's total delay small (5+10+20+40 ms for five attempts): the
    lock is held meanwhile, and a handler that fails this often fails for a reason, not a blip.
    """

    base: float = 0.005
    cap: float = 0.1
    jitter: float = 0.5  # this share of each delay is random

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number `attempt` (from 1)."""
        full = min(self.cap, self.base * (2.0 ** max(0, attempt - 1)))
        return full * (1 - self.jitter) + random.uniform(0, full * self.jitter)

