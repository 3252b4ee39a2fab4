"""finish_within / settle_within: the bounded waits every clean-up step goes through."""

import asyncio
import gc
import logging

from callkit.deadline import finish_within, settle_within


async def test_work_in_time_gives_its_result():
    async def answer():
        return 42

    assert await finish_within(answer(), 1.0, "answering") == 42


async def test_work_past_its_deadline_is_cancelled_and_named():
    started = asyncio.Event()

    async def forever():
        started.set()
        await asyncio.Event().wait()

    assert not await settle_within(forever(), 0.05, "waiting forever")
    assert started.is_set()


async def test_a_gather_cut_off_leaves_no_error_unread(caplog):
    # Call.end and Call.replay bound gather()s; each one cut off (an overloaded machine)
    # logged "_GatheringFuture exception was never retrieved" once it was collected.
    never = asyncio.Event()
    with caplog.at_level(logging.ERROR, logger="asyncio"):
        assert not await settle_within(asyncio.gather(never.wait(), never.wait()), 0.05,
                                       "gathering")
        gc.collect()
        await asyncio.sleep(0)
    assert "never retrieved" not in caplog.text
