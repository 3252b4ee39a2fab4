"""The call journal: numbered events for clients that join late or reconnect."""

import asyncio

import numpy as np

from callkit.events import AudioChunk, AudioLevel, CallStarted, TranscriptFinal
from callkit.journal import Journal


def final(text: str) -> TranscriptFinal:
    return TranscriptFinal(call_id="c", leg="customer", text=text, start=0.0, end=1.0)


def test_events_are_numbered_in_order_and_audio_is_not_kept():
    journal = Journal()
    journal(CallStarted(call_id="c", agent_name="A"))
    journal(AudioChunk(call_id="c", leg="customer", t=0, samples=np.zeros(320)))
    journal(AudioLevel(call_id="c", leg="customer", t=0.05, rms=0.1, peak=0.2))
    journal(final("hello"))
    assert [n for n, _ in journal.since(0)] == [1, 2, 3]
    assert [type(e).__name__ for _, e in journal.since(1)] == ["AudioLevel", "TranscriptFinal"]
    assert journal.since(3) == [] and journal.last_id == 3


def test_a_full_journal_drops_the_oldest_and_keeps_numbering():
    journal = Journal(limit=3)
    for i in range(5):
        journal(final(str(i)))
    assert [(n, e.text) for n, e in journal.since(0)] == [(3, "2"), (4, "3"), (5, "4")]
    assert [n for n, _ in journal.since(3)] == [4, 5]


async def test_wait_wakes_on_new_events_times_out_and_ends_on_close():
    journal = Journal()
    assert await journal.wait(0, 0.01) is False
    waiter = asyncio.create_task(journal.wait(0, 5))
    await asyncio.sleep(0)
    journal(final("x"))
    assert await waiter is True
    closed = asyncio.create_task(journal.wait(1, 5))
    await asyncio.sleep(0)
    journal.close()
    assert await asyncio.wait_for(closed, 1) is True


def test_since_an_old_number_gives_what_is_still_kept():
    journal = Journal(limit=2)
    for i in range(4):
        journal(final(str(i)))
    assert [e.text for _, e in journal.since(0)] == ["2", "3"]
    assert journal.since(10) == []
