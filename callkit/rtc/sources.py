"""Audio sources: a recorded file played as a live WebRTC track."""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import time
from pathlib import Path

import av
import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

RATE = 48000
FRAME_SAMPLES = 960  # 20 ms at 48 kHz, the size browsers and aiortc send


def read_audio(path: str | Path, rate: int = RATE) -> np.ndarray:
    """Decode any audio file av can read (WAV, FLAC, MP3, Ogg …) into mono int16 samples at
    ``rate``. A file that is no audio, or holds none, is a ValueError naming it; a file cut
    short gives the audio it has."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no audio file at {path}")
    resampler = av.AudioResampler(format="s16", layout="mono", rate=rate)
    chunks: list[np.ndarray] = []
    with _opened(path) as container:
        try:
            for frame in container.decode(audio=0):
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray().reshape(-1))
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().reshape(-1))
        except av.error.FFmpegError as exc:
            raise _undecodable(path, exc) from exc
    if not chunks:
        raise ValueError(f"{path} holds no audio")
    return np.concatenate(chunks)


def write_wav(path: str | Path, samples: np.ndarray, rate: int) -> None:
    """Write mono int16 ``samples`` at ``rate`` as a WAV file (what ``read_audio`` gives back)."""
    import wave

    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(samples.astype(np.int16).tobytes())


def check_audio(path: str | Path) -> None:
    """Fail now, naming the file, if ``path`` is not audio that can be played (read_audio
    would fail later, in the middle of a call); decodes only its first frame."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no audio file at {path}")
    with _opened(path) as container:
        try:
            next(container.decode(audio=0))
        except StopIteration:
            raise ValueError(f"{path} holds no audio") from None
        except av.error.FFmpegError as exc:
            raise _undecodable(path, exc) from exc


@contextlib.contextmanager
def _opened(path: Path):
    try:
        container = av.open(str(path))
    except av.error.FFmpegError as exc:
        raise _undecodable(path, exc) from exc
    with container:
        if not container.streams.audio:
            raise ValueError(f"{path} has no audio stream")
        yield container


def _undecodable(path: Path, exc: av.error.FFmpegError) -> ValueError:
    reason = getattr(exc, "strerror", None) or str(exc)
    return ValueError(f"cannot decode {path}: it is not audio ({reason})")


class RecordedTrack(MediaStreamTrack):
    """Plays samples as 20 ms frames in real time (times ``speed``), then ends.

    Used wherever a live microphone would be: the receiving side cannot tell the difference.
    ``finished`` is set once the last frame has been handed out.
    """

    kind = "audio"

    def __init__(self, samples: np.ndarray, speed: float = 1.0):
        super().__init__()
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.samples = samples.astype(np.int16, copy=False)
        self.speed = speed
        self.duration_s = len(self.samples) / RATE
        self.finished = asyncio.Event()
        self._pts = 0
        self.started_at: float | None = None  # time.monotonic() of the first frame

    @classmethod
    def from_file(cls, path: str | Path, speed: float = 1.0) -> "RecordedTrack":
        return cls(read_audio(path), speed=speed)

    async def recv(self) -> av.AudioFrame:
        if self.readyState != "live" or self._pts >= len(self.samples):
            self._end()
            raise MediaStreamError
        if self.started_at is None:
            self.started_at = time.monotonic()
        due = self.started_at + self._pts / RATE / self.speed
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        chunk = self.samples[self._pts:self._pts + FRAME_SAMPLES]
        if len(chunk) < FRAME_SAMPLES:
            chunk = np.pad(chunk, (0, FRAME_SAMPLES - len(chunk)))
        frame = av.AudioFrame.from_ndarray(chunk.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = RATE
        frame.pts = self._pts
        frame.time_base = fractions.Fraction(1, RATE)
        self._pts += FRAME_SAMPLES
        return frame

    def _end(self) -> None:
        self.finished.set()
        self.stop()

    def stop(self) -> None:
        self.finished.set()
        super().stop()
