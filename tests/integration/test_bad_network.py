"""A customer on a bad network: packet loss, an outage, jitter and reordering on the audio
path, from the middle of the second sentence on. The transcript degrades, nothing more: no
crash, every final from before the fault kept, no utterance transcribed twice, and every
final stamped at its true time (audio lost on the way is heard as silence, not skipped)."""

import asyncio

import duckdb
import pytest

from callkit.center import CallCenter
from callkit.events import TranscriptFinal
from callkit.recordings import load_recording
from callkit.rtc.peer import SendingPeer
from callkit.rtc.sources import RecordedTrack, read_audio
from tests.integration.lossy_link import Faults, LossyLink
from tests.waiting import until

pytestmark = [pytest.mark.integration, pytest.mark.slow]

REC = load_recording("sarah_order")
CUSTOMER_TURNS = [t for t in REC.turns if t["speaker"] == "customer"]
PACKET_S = 0.02  # of audio in each Opus packet aiortc sends
FAULT_AT_S = 16.0  # mid-way through "It was supposed to arrive this week, ..." (14.0-18.2 s)
PROFILES = {
    "10% loss": Faults(start_s=FAULT_AT_S, loss=0.10),
    "1 s outage, then 5% loss": Faults(start_s=FAULT_AT_S, outage_s=1.0, loss=0.05),
    "jitter 0-60 ms and 10% reordered": Faults(start_s=FAULT_AT_S, jitter_s=0.06, reorder=0.10),
}
# One phrase of each customer sentence: each may be lost to the faults, never said twice.
PHRASES = ("sarah johnson", "supposed to arrive", "seen it yet", "return the",
           "so much for your help")


def first_final_start(finals: list[TranscriptFinal]) -> float:
    """When the first sentence (before any fault) starts, on the call's clock."""
    return next(f.start for f in finals if "sarah johnson" in f.text.lower())


def heard_nothing_new(call, quiet_s: float = 1.0):
    """A predicate: true once the customer leg has received nothing for ``quiet_s``."""
    last = {"heard": -1.0, "since": 0.0}
    loop = asyncio.get_running_loop()

    def check() -> bool:
        heard = call.heard_s("customer")
        if heard != last["heard"]:
            last.update(heard=heard, since=loop.time())
        return loop.time() - last["since"] >= quiet_s

    return check


@pytest.mark.parametrize("profile", list(PROFILES))
async def test_a_bad_network_degrades_the_transcript_gracefully(profile, settings, no_leaks):
    link = LossyLink(PROFILES[profile])
    finals: list[TranscriptFinal] = []
    async with CallCenter(settings) as center:
        call = center.start_call()
        call.subscribe(finals.append, TranscriptFinal)
        track = RecordedTrack(read_audio(REC.legs["customer"]), speed=3.0)
        sender = SendingPeer(track, loopback=True)
        link.install(sender)
        try:
            await sender.accept(await call.answer("customer", await sender.offer()))
            await until(lambda: track.finished.is_set(), "the customer's recording to play")
            # What is still in flight arrives within milliseconds (how many packets were
            # dropped is known only once it has); the recording ends with 4.8 s of silence,
            # so no speech is cut off by stopping here.
            await until(heard_nothing_new(call), "the packets in flight")
            heard_s = call.heard_s("customer")
        finally:
            await sender.close()
        await call.end()
    assert call.unfinished == []
    assert link.counts["dropped"] + link.counts["reordered"] > 0 or link.counts["delayed"] > 0
    # Every packet that came through reached the transcriber: only what the network dropped
    # is missing (20 ms a packet; a few at the very end may still wait for a hole behind them).
    dropped_s = link.counts["dropped"] * PACKET_S
    print(f"{profile}: sent {track.duration_s:.2f} s, dropped {dropped_s:.2f} s, "
          f"heard {heard_s:.2f} s")
    assert heard_s >= track.duration_s - dropped_s - 0.1, (heard_s, dropped_s)

    texts = [f.text.lower() for f in finals]
    # Before the fault: the first sentence, whole, once.
    first = [t for t in texts if "sarah johnson" in t]
    assert len(first) == 1 and "78901" in first[0], texts
    for phrase in PHRASES:
        assert sum(phrase in t for t in texts) <= 1, (phrase, texts)
    # At most one final per utterance (an outage longer than a turn's ending silence is a
    # pause, and may end one more), in order, never overlapping.
    pauses = int(PROFILES[profile].outage_s > settings.endpoint_silence_s)
    assert len(finals) <= len(CUSTOMER_TURNS) + pauses, texts
    for before, after in zip(finals, finals[1:]):
        assert after.start >= before.end, texts
    # On the recording's clock (the leg joined a moment into the call), each final starts
    # within one of the customer's turns: lost audio did not pull later words earlier.
    joined_s = first_final_start(finals) - CUSTOMER_TURNS[0]["start_s"]
    for final in finals:
        at = final.start - joined_s
        assert any(t["start_s"] - 1.0 <= at <= t["end_s"] for t in CUSTOMER_TURNS), \
            (at, final.text)
    # And the database holds exactly what was published.
    con = duckdb.connect(str(settings.db_path), read_only=True)
    stored = con.execute("SELECT start_s, text FROM transcripts WHERE call_id = ?",
                         [call.call_id]).fetchall()
    status, = con.execute("SELECT status FROM calls WHERE call_id = ?",
                          [call.call_id]).fetchone()
    con.close()
    assert sorted(stored) == sorted((f.start, f.text) for f in finals)
    assert status == "completed"
