"""LegCapture: 48 kHz stereo WebRTC frames in; 16 kHz mono chunks and level readings out."""

import asyncio
import fractions

import av
import numpy as np
import pytest
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from callkit.events import AudioChunk, AudioLevel
from callkit.rtc.capture import LegCapture

FRAME = 960  # 20 ms at 48 kHz


def stereo_frame(samples: np.ndarray, pts: int) -> av.AudioFrame:
    """A frame as aiortc hands them out: s16, interleaved stereo, 48 kHz."""
    interleaved = np.repeat(samples.astype(np.int16), 2).reshape(1, -1)
    frame = av.AudioFrame.from_ndarray(interleaved, format="s16", layout="stereo")
    frame.sample_rate = 48000
    frame.pts = pts
    frame.time_base = fractions.Fraction(1, 48000)
    return frame


class FrameTrack(MediaStreamTrack):
    """Hands out the given frames, then ends (or, with ``hold``, stays silent forever)."""

    kind = "audio"

    def __init__(self, frames, hold=False):
        super().__init__()
        self.frames = list(frames)
        self.hold = hold

    async def recv(self):
        if self.frames:
            await asyncio.sleep(0)
            return self.frames.pop(0)
        if self.hold:
            await asyncio.Event().wait()  # a remote track that never ends by itself
        raise MediaStreamError


def tone(seconds: float, amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(int(seconds * 48000)) / 48000
    return (amplitude * 32767 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)


def frames_of(samples: np.ndarray) -> list[av.AudioFrame]:
    return [stereo_frame(samples[i:i + FRAME], i) for i in range(0, len(samples), FRAME)]


async def capture(track, **kwargs):
    events = []
    cap = LegCapture("c", "customer", track, events.append, read_timeout=0.05, **kwargs)
    await cap.wait_idle(limit=5)
    await cap.stop()
    return cap, events


async def test_frames_become_16khz_mono_chunks_on_the_call_clock():
    cap, events = await capture(FrameTrack(frames_of(tone(1.0))), offset_s=2.0)
    chunks = [e for e in events if isinstance(e, AudioChunk)]
    audio = np.concatenate([c.samples for c in chunks])
    assert audio.dtype == np.float32
    assert abs(len(audio) - 16000) <= 160  # the resampler may hold back a few samples
    assert chunks[0].t == 2.0
    assert all(b.t == pytest.approx(a.t + len(a.samples) / 16000)
               for a, b in zip(chunks, chunks[1:]))
    assert 0.45 < np.max(np.abs(audio)) < 0.55
    assert cap.t == 2.0 + len(audio) / 16000


async def test_levels_come_about_twenty_times_a_second():
    _, events = await capture(FrameTrack(frames_of(tone(1.0, amplitude=0.5))))
    levels = [e for e in events if isinstance(e, AudioLevel)]
    assert 19 <= len(levels) <= 20
    assert [lv.t for lv in levels[:3]] == pytest.approx([0.05, 0.10, 0.15])
    assert all(0.3 < lv.rms < 0.4 and 0.45 < lv.peak < 0.55 for lv in levels[1:])


async def test_muted_leg_publishes_silence_and_keeps_the_clock():
    track = FrameTrack(frames_of(tone(0.5)))
    events = []
    cap = LegCapture("c", "agent", track, events.append, read_timeout=0.05)
    cap.muted = True
    await cap.wait_idle(limit=5)
    await cap.stop()
    chunks = [e for e in events if isinstance(e, AudioChunk)]
    assert chunks and all(not c.samples.any() for c in chunks)
    assert cap.t > 0.45


async def test_audio_lost_on_the_way_keeps_the_clock():
    # Packets the network or the jitter buffer dropped leave holes in the RTP timestamps.
    # Without counting them, every word after a loss was stamped early (4.4 s by the end of a
    # 40 s call at 10% loss), and the two legs of a call drifted apart.
    frames = frames_of(tone(1.0))
    kept = [f for i, f in enumerate(frames) if i % 10 != 3]  # 10% lost, one frame in ten
    kept = kept[:20] + kept[20 + 9:]  # and an outage: the next 9 arrived frames lost too
    ahead = stereo_frame(np.zeros(FRAME), kept[-1].pts + 48000 * 60)  # a sender restarted
    cap, events = await capture(FrameTrack(kept + [ahead]))
    chunks = [e for e in events if isinstance(e, AudioChunk)]
    # 5 frames lost one in ten and 9 in the outage, 20 ms each; nothing is put in their place.
    assert cap.holes_s == pytest.approx(0.28)
    assert cap.samples_received / 16000 == pytest.approx(1.02 - 0.28, abs=0.01)
    # The tone ends at 1.0 s, as sent (the frame 60 s on is not a hole: not counted).
    last = max((c for c in chunks if np.abs(c.samples).max() > 0.1), key=lambda c: c.t)
    ends_at = last.t + (np.flatnonzero(np.abs(last.samples) > 0.1)[-1] + 1) / 16000
    assert ends_at == pytest.approx(1.0, abs=0.01)
    assert cap.t == pytest.approx(1.02, abs=0.01)


async def test_a_track_that_never_ends_stops_when_told():
    cap = LegCapture("c", "customer", FrameTrack([], hold=True), lambda e: None,
                     read_timeout=0.05)
    await cap.wait_idle(limit=1)
    assert cap.idle.is_set()
    await asyncio.wait_for(cap.stop(), 1)
    assert cap._task.done()


class GatedTrack(MediaStreamTrack):
    """A live track whose next frame arrives exactly when the test says so."""

    kind = "audio"

    def __init__(self):
        super().__init__()
        self.waiting: asyncio.Future | None = None

    async def recv(self):
        self.waiting = asyncio.get_running_loop().create_future()
        return await self.waiting


async def test_stop_returns_when_a_frame_lands_in_the_same_pass_as_the_cancel():
    # The hang of issue 17: a frame arriving in the loop pass that cancels the capture used
    # to be returned by asyncio.wait_for with the cancel dropped, so the read loop went on
    # forever and ending the call never returned. Here the two are made to coincide.
    for _ in range(20):
        track = GatedTrack()
        capture = LegCapture("c", "customer", track, lambda e: None, read_timeout=60)
        while track.waiting is None:
            await asyncio.sleep(0)
        track.waiting.set_result(stereo_frame(np.zeros(FRAME), 0))
        async with asyncio.timeout(10):
            await capture.stop()
        assert capture._task.done()
