"""Stream audio into a call's bus the way a live leg would: 20 ms chunks at a steady pace."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import numpy as np

from ..events import AudioChunk, Event, Leg, LegEnded

RATE = 16000
CHUNK = 320  # 20 ms, what a WebRTC leg delivers


async def feed_leg(publish: Callable[[Event], None], call_id: str, leg: Leg,
                   samples: np.ndarray, speed: float = 1.0) -> None:
    """Publish ``samples`` (16 kHz mono float32) as AudioChunks paced at ``speed`` × real time,
    then LegEnded."""
    started = time.monotonic()
    for i in range(0, len(samples), CHUNK):
        due = started + i / RATE / speed
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        elif i % (CHUNK * 50) == 0:
            await asyncio.sleep(0)  # far behind: still let the loop breathe every second
        publish(AudioChunk(call_id=call_id, leg=leg, t=i / RATE, samples=samples[i:i + CHUNK]))
    publish(LegEnded(call_id=call_id, leg=leg))
