"""Audio that is hard on a recognizer, through the real streaming path and the real whisper
model (issue 15): an hour of silence is never decoded, clipping noise and music give no words,
and a ten-minute monologue is transcribed with bounded memory. Fed faster than real time: the
streaming stage only sees 20 ms chunks, whatever their pace."""

import time
import tracemalloc

import numpy as np
import pytest

from callkit.bench.stt_eval import stream_through_stt
from callkit.config import Settings
from callkit.metrics import LatencyTracker
from callkit.rtc.sources import read_audio
from callkit.stt.engines import shared_recognizer
from tests.conftest import SHARED_DATA

pytestmark = pytest.mark.integration
RATE = 16000
AS_FAST_AS_POSSIBLE = 1e6  # the speed given to the feeder: it never waits


@pytest.fixture(scope="module")
def recognizer():
    return shared_recognizer(Settings())


@pytest.fixture
def decodes(recognizer):
    """Seconds of audio in each whisper decode, while the test runs."""
    seen: list[float] = []
    original = recognizer.transcribe_async

    async def counted(audio, offset=0.0, prompt=None, **options):
        seen.append(len(audio) / RATE)
        return await original(audio, offset, prompt, **options)

    recognizer.transcribe_async = counted
    yield seen
    del recognizer.transcribe_async


def clipping_noise(seconds: int, seed: int) -> np.ndarray:
    """Loud white noise, clipped flat at full scale: a line that overloads."""
    noise = np.random.default_rng(seed).normal(0, 1.5, RATE * seconds)
    return np.clip(noise, -1, 1).astype(np.float32)


def music(seconds: int, seed: int) -> np.ndarray:
    """Hold music: a note every half second with its harmonics and a decay, and a drum hit."""
    rng = np.random.default_rng(seed)
    t = np.arange(RATE // 2) / RATE
    notes = []
    for f in rng.choice([220, 247, 262, 294, 330, 349, 392, 440], seconds * 2):
        note = sum(a * np.sin(2 * np.pi * f * h * t) for h, a in ((1, .5), (2, .25), (3, .12)))
        note = note * np.exp(-3 * t)
        note[:800] += rng.normal(0, .3, 800) * np.linspace(1, 0, 800)
        notes.append(note)
    out = np.concatenate(notes)
    return (0.5 * out / np.abs(out).max()).astype(np.float32)


def humming(seconds: int, seed: int) -> np.ndarray:
    """A voice-like tone: a glottal-rich 140 Hz hum with vibrato, a vowel's formant, a tune."""
    rng = np.random.default_rng(seed)
    t = np.arange(RATE * seconds) / RATE
    tune = np.repeat(rng.choice([1, 1.12, 1.26, 1.33, 1.5], seconds * 2), RATE // 2)
    phase = 2 * np.pi * np.cumsum(140 * (1 + 0.03 * np.sin(2 * np.pi * 5 * t)) * tune) / RATE
    out = sum(np.sin(k * phase) / k * np.exp(-((k * 140 - 700) / 600) ** 2) for k in range(1, 30))
    return (0.4 * out / np.abs(out).max()).astype(np.float32)


@pytest.mark.slow
async def test_an_hour_of_silence_is_never_decoded(recognizer, decodes):
    hour = np.broadcast_to(np.zeros(1, np.float32), (RATE * 3600,))  # no 230 MB array
    started = time.perf_counter()
    result = await stream_through_stt(hour, Settings(), recognizer, LatencyTracker(),
                                      AS_FAST_AS_POSSIBLE)
    print(f"an hour of silence through the streaming path: {time.perf_counter() - started:.1f} s")
    assert result.events == [] and decodes == []  # the VAD dropped all of it


@pytest.mark.parametrize("make", [clipping_noise, music, humming])
async def test_noise_and_music_give_no_words(recognizer, decodes, make):
    for seed in range(2):
        result = await stream_through_stt(make(60, seed), Settings(), recognizer,
                                          LatencyTracker(), AS_FAST_AS_POSSIBLE)
        assert [e.text for e in result.events] == []
        # Past the VAD too: whisper itself, on 10 s of it, says nothing the guards let by.
        assert recognizer.transcribe(make(10, seed), 0.0, Settings().stt_prompt) == []


@pytest.mark.slow
async def test_a_ten_minute_monologue_is_transcribed_with_bounded_memory(recognizer, decodes):
    speech = SHARED_DATA / "speech"
    clips = [read_audio(p, RATE) for p in sorted(speech.glob("*.wav"))]
    clips.append(read_audio(speech / "jfk.flac", RATE))  # 35 s of read speech, no pauses
    monologue = np.resize(np.concatenate(clips), RATE * 600).astype(np.float32) / 32768
    tracemalloc.start()
    try:
        result = await stream_through_stt(monologue, Settings(), recognizer, LatencyTracker(),
                                          AS_FAST_AS_POSSIBLE)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    words = sum(len(f.text.split()) for f in result.finals)
    print(f"ten-minute monologue: {len(result.finals)} finals, {words} words, peak traced "
          f"memory {peak / 2**20:.0f} MB, longest decode {max(decodes):.1f} s")
    # All of it heard (about 150 words a minute), and to the end.
    assert words > 1200 and result.finals[-1].end > 590
    # Bounded: no decode reads more than one turn's limit, and the stage's memory stays at
    # what a three-minute call takes (test_streaming_stt.py), not ten minutes of audio (38 MB).
    assert max(decodes) <= Settings().max_utterance_s + 0.5
    assert peak < 60 * 2**20, f"peak traced memory {peak / 2**20:.0f} MB"
