"""CALLKIT_STT_WORKERS: whisper runs that many decodes at once, with the real model."""

import asyncio
import threading
import time

import numpy as np
import pytest

from callkit.config import Settings
from callkit.rtc.sources import read_audio
from callkit.stt.engines import _load
from tests.conftest import SHARED_DATA

pytestmark = pytest.mark.integration


async def test_two_workers_decode_two_turns_at_once():
    recognizer = _load(Settings(stt_workers=2, stt_threads=1))
    audio = read_audio(SHARED_DATA / "speech" / "jfk.flac", 16000).astype(np.float32) / 32768
    spans: list[tuple[float, float, str]] = []
    segments = recognizer._decoder.segments

    def timed(*args, **kwargs):
        started = time.perf_counter()
        try:
            return segments(*args, **kwargs)
        finally:
            spans.append((started, time.perf_counter(), threading.current_thread().name))

    recognizer._decoder.segments = timed
    try:
        texts = await asyncio.gather(*(recognizer.transcribe_async(audio, 0.0, final=True)
                                       for _ in range(2)))
    finally:
        await asyncio.to_thread(recognizer.close)
    assert all("fellow americans" in " ".join(s.text for s in t).lower() for t in texts)
    (a0, a1, a_thread), (b0, b1, b_thread) = sorted(spans)
    assert a_thread != b_thread and b0 < a1  # the second began before the first ended
