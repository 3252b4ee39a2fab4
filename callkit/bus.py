"""An asyncio publish/subscribe bus, one per call.

Each subscriber gets its own queue and task, so a slow subscriber never delays another and
each sees events in the order they were published. ``publish`` never blocks.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from .events import Event

log = logging.getLogger(__name__)

Handler = Callable[[Any], Awaitable[None] | None]


class _Subscriber:
    def __init__(self, name: str, handler: Handler, kinds: tuple[type[Event], ...]):
        self.name = name
        self.handler = handler
        self.kinds = kinds
        self.queue: asyncio.Queue[Event] = asyncio.Queue()
        self.unfinished = 0
        self.task = asyncio.create_task(self._run(), name=f"bus:{name}")

    async def _run(self) -> None:
        while True:
            event = await self.queue.get()
            try:
                result = self.handler(event)
                if asyncio.iscoroutine(result):
                    await result
            except asyncio.CancelledError:
                raise
            except Exception:
                # One subscriber's bug must not stop the call; it is logged with the event.
                log.exception("subscriber %s failed on %s", self.name, type(event).__name__)
            finally:
                self.unfinished -= 1
                self.queue.task_done()

    def put(self, event: Event) -> None:
        self.unfinished += 1
        self.queue.put_nowait(event)

    async def stop(self) -> None:
        """End the task and let go of what it had not handled, so a ``drain`` that was
        waiting on this subscriber returns instead of waiting forever."""
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)
        while not self.queue.empty():
            self.queue.get_nowait()
            self.unfinished -= 1
            self.queue.task_done()


class Bus:
    def __init__(self) -> None:
        self._subscribers: list[_Subscriber] = []
        self._closed = False

    def subscribe(self, handler: Handler, *kinds: type[Event],
                  name: str | None = None) -> "_Subscriber":
        """Call ``handler`` for every published event of ``kinds`` (all events if none)."""
        if self._closed:
            raise RuntimeError("bus is closed")
        label = name or getattr(handler, "__qualname__", repr(handler))
        sub = _Subscriber(label, handler, kinds or (Event,))
        self._subscribers.append(sub)
        return sub

    async def unsubscribe(self, sub: "_Subscriber") -> None:
        """Stop delivering to ``sub`` (a client that went away) and end its task."""
        if sub in self._subscribers:
            self._subscribers.remove(sub)
        await sub.stop()

    def publish(self, event: Event) -> None:
        if self._closed:
            return
        for sub in self._subscribers:
            if isinstance(event, sub.kinds):
                sub.put(event)

    async def drain(self) -> None:
        """Wait until every subscriber has handled everything, including what handlers publish."""
        while True:
            pending = [s for s in self._subscribers if s.unfinished]
            if not pending:
                return
            await asyncio.gather(*(s.queue.join() for s in pending))

    async def close(self) -> None:
        self._closed = True
        await asyncio.gather(*(s.stop() for s in self._subscribers))
        self._subscribers.clear()
