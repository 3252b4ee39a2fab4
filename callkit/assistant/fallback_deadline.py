"""How long the agent waits for a model before the rules engine answers a turn.

A model that is down fails fast (refused, 429, 500) and the rules answer at once; one that
hangs would keep the agent waiting for its whole timeout. :func:`marking_late` lets the
engine show the rules' suggestions once the fallback deadline passes without a word from
the model, and still stream the model's answer if it comes later.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import TypeVar

T = TypeVar("T")


class Late:
    """Marker: nothing came within the deadline (the items may still come)."""

    def __repr__(self) -> str:
        return "LATE"


LATE = Late()


async def _next(items: AsyncIterator[T]) -> T:
    return await anext(items)


async def marking_late(items: AsyncIterator[T], seconds: float) -> AsyncIterator[T | Late]:
    """``items``, with :data:`LATE` first when the first item takes longer than ``seconds``.

    The first item is awaited in a task of its own, which this generator owns: it is
    cancelled if the consumer stops or is cancelled. ``items`` is the caller's to close."""
    first = asyncio.create_task(_next(items))
    try:
        done, _ = await asyncio.wait({first}, timeout=seconds)
        if not done:
            yield LATE
        try:
            item = await first
        except StopAsyncIteration:
            return
    finally:
        if not first.done():
            first.cancel()
            await asyncio.gather(first, return_exceptions=True)
    yield item
    async for item in items:
        yield item
