"""What each leg hears: the other leg's audio, relayed by the kernel.

Every leg's peer connection also sends an :class:`EarTrack`. The call feeds it the other leg's
samples as they are captured (silence while that leg is muted), so a leg never hears itself.
aiortc pulls frames from a track as fast as it can, so the track paces itself at 20 ms a
frame; between the other leg's frames it sends silence. Its buffer is kept short: a late frame
is worth less than a fresh one on a live call, so the oldest audio is dropped first.
"""

from __future__ import annotations

import asyncio
import fractions
import time
from collections import deque

import av
import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

RATE = 48000
FRAME_SAMPLES = 960  # 20 ms, what browsers send and Opus encodes
# At most this much audio waits to be sent (60 ms): beyond it, network bunching would turn
# into lasting delay. Below it, jitter is absorbed.
MAX_BUFFERED = 3 * FRAME_SAMPLES


class EarTrack(MediaStreamTrack):
    """A live 48 kHz mono track of what one leg hears, fed by :meth:`hear`."""

    kind = "audio"

    def __init__(self) -> None:
        super().__init__()
        self._chunks: deque[np.ndarray] = deque()
        self._buffered = 0
        self._pts = 0
        self._start: float | None = None
        self.dropped_samples = 0  # audio discarded to keep the delay short

    def hear(self, samples: np.ndarray) -> None:
        """Queue int16 mono 48 kHz samples to be sent."""
        if self.readyState != "live" or not len(samples):
            return
        self._chunks.append(samples.astype(np.int16, copy=False))
        self._buffered += len(samples)
        while self._buffered > MAX_BUFFERED and len(self._chunks) > 1:
            old = self._chunks.popleft()
            self._buffered -= len(old)
            self.dropped_samples += len(old)

    def _take(self, n: int) -> np.ndarray:
        out = np.zeros(n, dtype=np.int16)
        filled = 0
        while filled < n and self._chunks:
            chunk = self._chunks[0]
            take = min(n - filled, len(chunk))
            out[filled:filled + take] = chunk[:take]
            filled += take
            if take == len(chunk):
                self._chunks.popleft()
            else:
                self._chunks[0] = chunk[take:]
            self._buffered -= take
        return out

    async def recv(self) -> av.AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        now = time.monotonic()
        if self._start is None:
            self._start = now
        due = self._start + self._pts / RATE
        if due > now:
            await asyncio.sleep(due - now)
        elif now - due > 0.2:
            # The sender stalled (a busy loop): move the clock on instead of bursting frames
            # (pts stay continuous: the encoder's resampler refuses a jump).
            self._start = now - self._pts / RATE
        frame = av.AudioFrame.from_ndarray(self._take(FRAME_SAMPLES).reshape(1, -1),
                                           format="s16", layout="mono")
        frame.sample_rate = RATE
        frame.pts = self._pts
        frame.time_base = fractions.Fraction(1, RATE)
        self._pts += FRAME_SAMPLES
        return frame


class ToEar:
    """Converts a leg's received frames to what :class:`EarTrack` takes (48 kHz mono int16)."""

    def __init__(self) -> None:
        self._resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)

    def __call__(self, frame: av.AudioFrame) -> np.ndarray:
        parts = [out.to_ndarray().reshape(-1) for out in self._resampler.resample(frame)]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int16)
