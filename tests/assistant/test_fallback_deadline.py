"""marking_late: a marker when the first item is late, and no task left behind."""

import asyncio
from contextlib import aclosing

from callkit.assistant.fallback_deadline import LATE, marking_late


async def items(first_after: float, closed: list):
    try:
        await asyncio.sleep(first_after)
        yield "first"
        yield "second"
    finally:
        closed.append(True)


async def collect(first_after: float, deadline: float, stop_after: int | None = None):
    closed, out = [], []
    async with aclosing(items(first_after, closed)) as source, \
            aclosing(marking_late(source, deadline)) as marked:
        async for item in marked:
            out.append(item)
            if len(out) == stop_after:
                break
    return out, closed


async def test_items_on_time_pass_unmarked():
    assert await collect(0.0, 5.0) == (["first", "second"], [True])


async def test_a_late_first_item_is_preceded_by_the_marker():
    assert await collect(0.2, 0.01) == ([LATE, "first", "second"], [True])


async def test_stopping_at_the_marker_cancels_the_wait_for_the_first_item():
    before = asyncio.all_tasks()
    out, closed = await collect(3600, 0.01, stop_after=1)
    assert out == [LATE] and closed == [True]
    assert asyncio.all_tasks() == before  # the task that awaited the first item is gone
