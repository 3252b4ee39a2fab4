"""Reads a leg's received track: 16 kHz mono float32 chunks and level readings for the bus."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import av
import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from ..deadline import settle_within
from ..events import AudioChunk, AudioLevel, Event, Leg
from .relay import EarTrack, ToEar

RATE = 16000
LEVEL_INTERVAL_S = 0.05  # about 20 level readings a second, enough for a smooth meter
STOP_TIMEOUT_S = 2.0
# A longer jump in a leg's RTP timestamps is not audio lost on the way (a sender that
# restarted its clock): the leg's clock is left as it is.
MAX_HOLE_S = 30.0
RTP_WRAP = 1 << 32  # RTP timestamps are 32-bit and wrap


class LegCapture:
    """Owns the task that reads one remote track until stopped.

    A remote aiortc track never ends by itself, so reads time out and the loop stops when
    :meth:`stop` is called: by its flag at the next read, or at once by cancellation.
    ``idle`` tells whether no frame came within ``read_timeout``.
    While ``muted``, silence is published instead of the audio: nothing said reaches the
    transcript, and the call's clock keeps running.
    ``ear`` says who hears this leg (the other leg's :class:`EarTrack`, or None): each frame
    is relayed to it as it comes, silence while muted.
    Audio lost on the way (packets the network dropped, or that came too late) leaves a hole
    in the frames' timestamps. The chunks after it are stamped past it (``holes_s`` in all),
    so the leg's clock stays the call's; nothing is put in the hole (the endpointer splices a
    turn across a short one, and a long one ends the turn, as a pause would).
    """

    def __init__(self, call_id: str, leg: Leg, track: MediaStreamTrack,
                 publish: Callable[[Event], None], *, read_timeout: float = 0.25,
                 offset_s: float = 0.0, ear: Callable[[], EarTrack | None] = lambda: None):
        self.call_id = call_id
        self.leg = leg
        self.track = track
        self.publish = publish
        self.read_timeout = read_timeout
        self.samples_received = 0
        self.offset_s = offset_s  # call time of this connection's first sample
        self.muted = False
        self.holes_s = 0.0  # audio that never arrived, in seconds
        self._next_pts: int | None = None  # where the next frame starts if none was lost
        self.ear = ear
        self._to_ear = ToEar()
        self.idle = asyncio.Event()
        self._resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
        self._level_buffer: list[np.ndarray] = []
        self._level_samples = 0
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name=f"capture:{call_id}:{leg}")

    @property
    def t(self) -> float:
        return self.offset_s + self.samples_received / RATE + self.holes_s

    async def _run(self) -> None:
        while not self._stopping:
            try:
                # asyncio.timeout, not wait_for: wait_for can swallow the cancel that stop()
                # sends when a frame arrives in the same pass (see deadline.py).
                async with asyncio.timeout(self.read_timeout):
                    frame = await self.track.recv()
            except TimeoutError:
                self.idle.set()
                continue
            except MediaStreamError:
                self.idle.set()
                return
            self.idle.clear()
            self._count_hole(frame)
            self._relay(frame)
            for out in self._resampler.resample(frame):
                self._handle(out.to_ndarray().reshape(-1).astype(np.float32) / 32768.0)

    def _count_hole(self, frame: av.AudioFrame) -> None:
        if frame.pts is None or not frame.time_base:
            return
        expected = self._next_pts
        if expected is None:
            self._next_pts = frame.pts + frame.samples
            return
        missing = (frame.pts - expected + RTP_WRAP // 2) % RTP_WRAP - RTP_WRAP // 2
        if missing < 0:  # a frame from before one already heard: the clock stays put
            return
        self._next_pts = frame.pts + frame.samples
        hole_s = float(missing * frame.time_base)
        if 0 < hole_s <= MAX_HOLE_S:
            self.holes_s += hole_s

    def _relay(self, frame: av.AudioFrame) -> None:
        ear = self.ear()
        if ear is not None:
            samples = self._to_ear(frame)
            ear.hear(np.zeros_like(samples) if self.muted else samples)

    def _handle(self, samples: np.ndarray) -> None:
        if self.muted:
            samples = np.zeros_like(samples)
        t = self.t
        self.samples_received += len(samples)
        self.publish(AudioChunk(call_id=self.call_id, leg=self.leg, t=t, samples=samples))
        # Readings cover exactly LEVEL_INTERVAL_S each (the rest carries over), so a meter
        # gets them at a steady 20 Hz whatever size the frames come in.
        self._level_buffer.append(samples)
        self._level_samples += len(samples)
        block_len = int(LEVEL_INTERVAL_S * RATE)
        if self._level_samples < block_len:
            return
        pending = np.concatenate(self._level_buffer)
        whole = len(pending) // block_len * block_len
        for start in range(0, whole, block_len):
            block = pending[start:start + block_len]
            self.publish(AudioLevel(
                call_id=self.call_id, leg=self.leg,
                t=self.t - (len(pending) - start - block_len) / RATE,
                rms=float(np.sqrt(np.mean(block * block))), peak=float(np.max(np.abs(block))),
            ))
        self._level_buffer = [pending[whole:]]
        self._level_samples = len(pending) - whole

    async def wait_idle(self, limit: float = 5.0) -> None:
        """Wait until no frame has arrived for ``read_timeout`` (at most ``limit`` seconds)."""
        self.idle.clear()
        try:
            async with asyncio.timeout(limit):
                await self.idle.wait()
        except TimeoutError:
            pass

    async def stop(self) -> None:
        """End the reading task; returns within ``STOP_TIMEOUT_S`` whatever the track does."""
        self._stopping = True
        self._task.cancel()
        await settle_within(asyncio.gather(self._task, return_exceptions=True), STOP_TIMEOUT_S,
                            f"stopping the {self.leg} capture of call {self.call_id}")
