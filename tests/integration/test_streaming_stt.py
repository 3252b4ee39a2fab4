"""Streaming transcription with the real whisper model on real speech."""

import tracemalloc

import numpy as np
import pytest

from callkit.bench.stt_eval import evaluate, stream_through_stt
from callkit.config import Settings
from callkit.events import TranscriptFinal, TranscriptPartial
from callkit.metrics import LatencyTracker
from callkit.rtc.sources import read_audio
from callkit.stt.engines import shared_recognizer
from tests.conftest import SHARED_DATA

pytestmark = pytest.mark.integration
RATE = 16000


@pytest.fixture(scope="module")
def recognizer():
    return shared_recognizer(Settings())


async def test_word_error_rate_through_the_streaming_path_is_under_10_percent(recognizer):
    result = await evaluate(SHARED_DATA / "speech", Settings(), recognizer, speed=4.0,
                            progress=False)
    summary = result["summary"]
    assert summary["files_n"] == 6
    assert summary["wer"] < 0.10, result["files"]
    assert summary["speech_end_to_final_n"] >= 6


async def test_partials_come_before_their_final_and_finals_never_repeat(recognizer):
    samples = read_audio(SHARED_DATA / "speech" / "jfk.flac", RATE).astype(np.float32) / 32768
    result = await stream_through_stt(samples, Settings(), recognizer, LatencyTracker(), 1.5)
    finals = result.finals
    assert len(finals) >= 2 and result.partials
    final_index = {e.turn: i for i, e in enumerate(result.events) if isinstance(e, TranscriptFinal)}
    for i, e in enumerate(result.events):
        if isinstance(e, TranscriptPartial):
            assert i < final_index.get(e.turn, len(result.events))
    assert [f.turn for f in finals] == sorted({f.turn for f in finals})
    texts = [f.text for f in finals]
    assert len(set(texts)) == len(texts)
    assert all(a.end <= b.start + 0.05 for a, b in zip(finals, finals[1:]))
    for f in finals:
        assert f.words and f.start <= f.words[0].start and f.words[-1].end <= f.end + 0.01


@pytest.mark.parametrize("kind", ["silence", "white noise", "tone"])
async def test_non_speech_produces_no_text(recognizer, kind):
    rng = np.random.default_rng(1)
    t = np.arange(RATE * 6) / RATE
    audio = {"silence": np.zeros(RATE * 6), "white noise": rng.normal(0, 0.1, RATE * 6),
             "tone": 0.4 * np.sin(2 * np.pi * 300 * t)}[kind].astype(np.float32)
    result = await stream_through_stt(audio, Settings(), recognizer, LatencyTracker(), 4.0)
    assert result.events == []
    # Past the VAD too: whisper's own output on it is caught by the guards.
    assert recognizer.transcribe(audio, 0.0, Settings().stt_prompt) == []


async def test_a_three_minute_call_streams_with_bounded_memory_and_steady_updates(recognizer):
    samples = read_audio(SHARED_DATA / "calls" / "auto_repairs_40_UTC_caller.wav", RATE)
    samples = samples[: RATE * 180].astype(np.float32) / 32768
    decodes: list[float] = []  # seconds of audio in each decode: what a decode's cost grows with
    original = recognizer.transcribe_async

    async def measured(audio, offset=0.0, prompt=None, **options):
        decodes.append(len(audio) / RATE)
        return await original(audio, offset, prompt, **options)

    recognizer.transcribe_async = measured
    tracemalloc.start()
    try:
        result = await stream_through_stt(samples, Settings(), recognizer, LatencyTracker(), 6.0)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        del recognizer.transcribe_async
    assert len(result.finals) >= 10
    assert peak < 60 * 2**20, f"peak traced memory {peak / 2**20:.0f} MB"
    assert max(decodes) <= Settings().max_utterance_s + 0.5
    # Steady: late in the call a decode reads no more audio than early on (committed segments
    # are not decoded again), so it costs no more, whatever the machine's load.
    third = len(decodes) // 3
    early, late = np.mean(decodes[:third]), np.mean(decodes[-third:])
    assert late < 2 * early + 1.0, (early, late)


async def test_the_base_model_assembles_from_its_packages_and_transcribes(tmp_path):
    from callkit.stt.models import BASE_SHA256, sha256_of
    from callkit.stt.whisper import WhisperRecognizer

    recognizer = WhisperRecognizer("base", cache_dir=tmp_path)
    try:
        assert sha256_of(tmp_path / "whisper-base" / "model.bin") == BASE_SHA256
        result = await evaluate(SHARED_DATA / "speech", Settings(stt_model="base"), recognizer,
                                speed=4.0, progress=False)
    finally:
        recognizer.close()
    assert result["summary"]["wer"] < 0.05
