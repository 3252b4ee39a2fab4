"""Recorded audio as a live track: decoding files and pacing 20 ms frames."""

import time
import wave

import numpy as np
import pytest
from aiortc.mediastreams import MediaStreamError

from callkit.rtc.sources import FRAME_SAMPLES, RATE, RecordedTrack, read_audio


def write_wav(path, samples: np.ndarray, rate: int) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.astype(np.int16).tobytes())


def test_read_audio_resamples_to_the_rate_asked_for(tmp_path):
    write_wav(tmp_path / "a.wav", np.full(8000, 1000), 8000)  # 1 s at 8 kHz
    samples = read_audio(tmp_path / "a.wav", 48000)
    assert samples.dtype == np.int16
    assert abs(len(samples) - 48000) < 100
    assert abs(int(np.median(samples)) - 1000) < 5


def test_read_audio_errors_are_clear(tmp_path):
    with pytest.raises(FileNotFoundError, match="no audio file"):
        read_audio(tmp_path / "missing.wav")
    (tmp_path / "text.wav").write_text("this is not audio")
    with pytest.raises(ValueError, match="cannot decode"):
        read_audio(tmp_path / "text.wav")


async def test_frames_are_20ms_paced_at_speed_and_the_track_ends():
    track = RecordedTrack(np.arange(RATE // 2, dtype=np.int16), speed=2.0)  # 0.5 s
    started = time.monotonic()
    frames = []
    with pytest.raises(MediaStreamError):
        while True:
            frames.append(await track.recv())
    elapsed = time.monotonic() - started
    assert len(frames) == 25 and all(f.samples == FRAME_SAMPLES for f in frames)
    assert [f.pts for f in frames[:3]] == [0, FRAME_SAMPLES, 2 * FRAME_SAMPLES]
    # Paced: 0.5 s of audio at twice real time cannot be handed out sooner (a busy machine
    # may make it later, so no upper bound).
    assert elapsed >= 0.2
    assert track.finished.is_set() and track.readyState == "ended"
    first = frames[0].to_ndarray().reshape(-1)
    assert list(first[:3]) == [0, 1, 2]


async def test_a_short_last_frame_is_padded_with_silence():
    track = RecordedTrack(np.ones(FRAME_SAMPLES + 10, dtype=np.int16), speed=50)
    await track.recv()
    last = (await track.recv()).to_ndarray().reshape(-1)
    assert len(last) == FRAME_SAMPLES and last[:10].all() and not last[10:].any()


def test_speed_must_be_positive():
    with pytest.raises(ValueError, match="speed"):
        RecordedTrack(np.zeros(10, dtype=np.int16), speed=0)
