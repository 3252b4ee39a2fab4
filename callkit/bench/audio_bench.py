"""``callkit bench audio``: WebRTC offer → first frame, and frame arrival jitter, for 1 and N
concurrent legs over loopback (real aiortc peers, real Opus, a real recorded call as audio).

Jitter is how far each frame's arrival strays from its 20 ms slot: the arrival time of frame
i minus (arrival of frame 0 + i × 20 ms), taken relative to its median so a constant network
delay does not count.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import numpy as np
from aiortc.mediastreams import MediaStreamError

from ..metrics import percentile
from ..rtc.peer import connect_loopback
from ..rtc.sources import RecordedTrack, read_audio
from .report import summary_by_count

FRAME_S = 0.02


async def one_leg(samples: np.ndarray, seconds: float) -> dict:
    track = RecordedTrack(samples[: int(seconds * 48000)])
    started = time.perf_counter()
    sender, receiver = await connect_loopback(track)
    arrivals: list[float] = []
    try:
        remote = await receiver.track()
        while True:
            try:
                async with asyncio.timeout(1.0):
                    await remote.recv()
            except (TimeoutError, MediaStreamError):
                break
            arrivals.append(time.perf_counter())
    finally:
        await sender.close()
        await receiver.close()
    if not arrivals:
        raise RuntimeError("no audio frame arrived")
    slots = np.array(arrivals) - arrivals[0] - np.arange(len(arrivals)) * FRAME_S
    jitter_ms = np.abs(slots - np.median(slots)) * 1000
    return {"first_frame_s": arrivals[0] - started, "frames": len(arrivals),
            "expected": int(seconds / FRAME_S), "jitter_ms": jitter_ms.tolist()}


async def run_level(samples: np.ndarray, legs: int, seconds: float) -> dict:
    results = await asyncio.gather(*(one_leg(samples, seconds) for _ in range(legs)))
    first = [r["first_frame_s"] for r in results]
    jitter = [j for r in results for j in r["jitter_ms"]]
    return {"legs": legs,
            "offer_to_first_frame_p50_s": round(percentile(first, 50), 4),
            "offer_to_first_frame_p95_s": round(percentile(first, 95), 4),
            "frame_jitter_p50_ms": round(percentile(jitter, 50), 2),
            "frame_jitter_p95_ms": round(percentile(jitter, 95), 2),
            "frame_jitter_max_ms": round(max(jitter), 2),
            "frames_received_ratio": round(sum(r["frames"] for r in results)
                                           / sum(r["expected"] for r in results), 3)}


def run_bench(audio: Path, levels: list[int], seconds: float) -> list[dict]:
    samples = read_audio(audio)

    async def main() -> list[dict]:
        return [await run_level(samples, n, seconds) for n in levels]

    return asyncio.run(main())


def summary_of(rows: list[dict]) -> dict[str, float]:
    return summary_by_count(rows, "legs", "legs", (
        "offer_to_first_frame_p50_s", "offer_to_first_frame_p95_s", "frame_jitter_p50_ms",
        "frame_jitter_p95_ms", "frame_jitter_max_ms", "frames_received_ratio"))
