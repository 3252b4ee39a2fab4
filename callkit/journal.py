"""A call's events so far, numbered in the order they were published.

Clients that join late or reconnect (a reloaded page, an SSE stream whose connection dropped,
``curl -N`` started mid-call) read what they missed from here and then follow along, with no
event lost or shown twice: each carries its number, and a client asks for what came after the
last one it saw (SSE's ``Last-Event-ID``). Raw audio is not kept.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import deque

from .events import AudioChunk, Event

DEFAULT_LIMIT = 50_000  # about an hour of a busy call; older events fall off the front


class Journal:
    def __init__(self, limit: int = DEFAULT_LIMIT):
        self._entries: deque[tuple[int, Event]] = deque(maxlen=limit)
        self._last = 0
        self._grew = asyncio.Event()
        self.closed = False

    def __call__(self, event: Event) -> None:
        """Record one event (the journal is a bus subscriber)."""
        if isinstance(event, AudioChunk):
            return
        self._last += 1
        self._entries.append((self._last, event))
        self._grew.set()

    @property
    def last_id(self) -> int:
        return self._last

    def since(self, after: int) -> list[tuple[int, Event]]:
        """The entries numbered above ``after``, oldest first (those still kept)."""
        count = min(max(self._last - after, 0), len(self._entries))
        # From the right end: a follower asks often for a few new entries of a long call.
        newest = list(itertools.islice(reversed(self._entries), count))
        newest.reverse()
        return newest

    async def wait(self, after: int, timeout: float) -> bool:
        """Wait until there is an entry above ``after`` or the journal is closed; False on
        timeout."""
        while self._last <= after and not self.closed:
            self._grew.clear()
            try:
                async with asyncio.timeout(timeout):  # not wait_for: see deadline.py
                    await self._grew.wait()
            except TimeoutError:
                return False
        return True

    def close(self) -> None:
        """No more events will come: wake every waiter."""
        self.closed = True
        self._grew.set()
