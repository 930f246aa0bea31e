"""Wake-ups for live subscriptions when new records are published."""
from __future__ import annotations

import asyncio


class Changes:
    """A broadcast "something was committed" signal, used only on the event loop.

    Each commit sets the current asyncio.Event and replaces it, so a subscriber that took the
    event before looking at the log cannot miss a commit that happens after it looked.
    """

    def __init__(self) -> None:
        self.event = asyncio.Event()

    def notify(self) -> None:
        """Wake every subscriber waiting for new records."""
        event, self.event = self.event, asyncio.Event()
        event.set()
