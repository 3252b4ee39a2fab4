"""Ending a call always returns: every step on the way out is bounded, and a step cut off is
named in ``call.unfinished`` and in the CallEnded event (issue 17)."""

import asyncio

import duckdb
import numpy as np
import pytest

import callkit.call
from callkit.bench.feed import feed_leg
from callkit.center import CallCenter
from callkit.events import CallEnded, TranscriptFinal
from callkit.recordings import load_recording
from callkit.rtc.sources import read_audio
from tests.waiting import until


class NoSpeechRecognizer:
    """Stands in for whisper: these tests feed no audio."""

    name = "none"
    busy = False

    async def transcribe_async(self, audio, offset=0.0, prompt=None, final=True):
        return []

    def close(self):
        pass


def a_final(call):
    return TranscriptFinal(call_id=call.call_id, leg="customer", text="hello", start=0, end=1)


async def test_a_stage_that_never_finishes_cannot_hang_the_end(settings, no_leaks):
    ended = []
    stuck = asyncio.Event()

    async def never_done(_event):
        await stuck.wait()

    async with CallCenter(settings.replace(end_timeout_s=0.3),
                          recognizer=NoSpeechRecognizer()) as center:
        call = center.start_call()
        call.subscribe(ended.append, CallEnded)
        call.subscribe(never_done, TranscriptFinal)
        call.bus.publish(a_final(call))
        async with asyncio.timeout(10):
            await call.end()
    assert call.status == "ended"
    assert call.unfinished == ["flush", "summary"]
    assert ended and ended[0].unfinished == ("flush",)
    con = duckdb.connect(str(settings.db_path), read_only=True)
    status = con.execute("SELECT status FROM calls WHERE call_id = ?", [call.call_id]).fetchone()
    con.close()
    assert status == ("completed",)  # the stages that did finish stored the call


class HangingRecognizer(NoSpeechRecognizer):
    """A recognizer that never answers: a machine far behind on its calls."""

    async def transcribe_async(self, audio, offset=0.0, prompt=None, final=True):
        await asyncio.Event().wait()


async def test_words_still_untranscribed_at_the_deadline_do_not_hold_up_the_summary(
        settings, no_leaks):
    said = read_audio(load_recording("sarah_order").legs["customer"], rate=16000)[:16000 * 9]
    async with CallCenter(settings.replace(end_timeout_s=0.5),
                          recognizer=HangingRecognizer()) as center:
        call = center.start_call()
        await feed_leg(call.bus.publish, call.call_id, "customer",
                       said.astype(np.float32) / 32768, speed=100.0)
        async with asyncio.timeout(30):
            await call.end()
    assert call.unfinished == ["flush"]  # the summary was written, in time
    con = duckdb.connect(str(settings.db_path), read_only=True)
    summary = con.execute("SELECT text FROM call_summaries WHERE call_id = ?",
                          [call.call_id]).fetchone()
    con.close()
    assert summary is not None


async def test_close_returns_even_when_a_stage_ignores_its_cancellation(settings, no_leaks,
                                                                        monkeypatch):
    monkeypatch.setattr(callkit.call, "CLOSE_STEP_TIMEOUT_S", 0.3)
    release = asyncio.Event()

    async def stubborn(_event):
        while not release.is_set():
            try:
                await release.wait()
            except asyncio.CancelledError:
                pass  # a buggy stage: swallows the cancel

    async with CallCenter(settings.replace(end_timeout_s=0.3),
                          recognizer=NoSpeechRecognizer()) as center:
        call = center.start_call()
        call.subscribe(stubborn, TranscriptFinal)
        call.bus.publish(a_final(call))
        async with asyncio.timeout(10):
            await call.end()
        assert "close bus" in call.unfinished
        release.set()  # let the straggler go, so the leak check sees it finish
        await asyncio.sleep(0.05)


async def test_closing_the_center_ends_calls_that_are_still_live(settings, no_leaks):
    async with CallCenter(settings, recognizer=NoSpeechRecognizer()) as center:
        calls = [center.start_call() for _ in range(3)]
    assert [c.status for c in calls] == ["ended"] * 3 and center.calls == {}


async def test_ending_while_a_leg_connects_still_writes_the_summary(settings, no_leaks):
    """A leg whose offer was answered but whose connection is not up yet when the call ends:
    the end neither trips over it nor loses the summary, and the late leg is let go."""
    from callkit.events import CallSummary
    from callkit.rtc.peer import SendingPeer
    from callkit.rtc.sources import RecordedTrack

    async with CallCenter(settings, recognizer=NoSpeechRecognizer()) as center:
        call = center.start_call()
        sender = SendingPeer(RecordedTrack(np.zeros(48000, np.int16)))
        await call.answer("customer", await sender.offer())  # answered, not yet connected
        try:
            async with asyncio.timeout(30):
                await call.end()
        finally:
            await sender.close()
    summaries = [e for _, e in call.journal.since(0) if isinstance(e, CallSummary)]
    assert call.status == "ended" and len(summaries) == 1 and call.legs == {}


async def test_a_refused_play_leaves_no_peers_behind(settings, no_leaks):
    from callkit.recordings import load_recording

    leg = load_recording("sarah_order").legs["customer"]
    async with CallCenter(settings, recognizer=NoSpeechRecognizer()) as center:
        call = center.start_call()
        playing = await call.play("customer", leg)
        peers = list(call._peers)
        for _ in range(3):
            with pytest.raises(ValueError, match="already on this call"):
                await call.play("customer", leg)
        assert call._peers == peers  # nothing new was opened
        assert playing.readyState == "live"  # and the leg that plays goes on
        # Connected before it ends (aioice starts a consent task when ICE completes; closing
        # in that very moment leaves it behind, which the leak check would report).
        await until(lambda: call.heard_s("customer") > 0.5, "the played leg")
        await call.end()


async def test_a_center_keeps_only_its_latest_ended_calls(settings, no_leaks, monkeypatch):
    import callkit.center
    monkeypatch.setattr(callkit.center, "KEEP_ENDED", 2)
    async with CallCenter(settings, recognizer=NoSpeechRecognizer()) as center:
        calls = []
        for _ in range(4):
            call = center.start_call()
            await call.end()
            calls.append(call)
        live = center.start_call()
        assert list(center.calls) == [calls[2].call_id, calls[3].call_id, live.call_id]
        # What the forgotten calls were is in the database.
        stored = await center.db.run(lambda con: con.execute(
            "SELECT status FROM calls WHERE call_id = ?", [calls[0].call_id]).fetchone())
        assert stored == ("completed",)
        await live.end()
