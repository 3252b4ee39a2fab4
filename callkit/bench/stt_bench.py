"""``callkit bench stt``: latency and real-time factor with 1 and N concurrent streams.

Each stream is one leg of a real recorded support call (../shared/data/calls), paced at real
time through its own STT stage; all streams share the process's one whisper model, as the
calls of a CallCenter do. Both concurrency levels run in the same invocation so they can be
compared on the same machine state.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import numpy as np

from ..config import Settings
from ..metrics import LatencyTracker
from ..rtc.sources import read_audio
from ..stt.protocol import Recognizer
from .report import summary_by_count
from .stt_eval import stream_through_stt


def load_streams(folder: Path, seconds: float) -> list[tuple[str, np.ndarray]]:
    files = sorted(folder.glob("*.wav"))
    if not files:
        raise FileNotFoundError(f"no .wav files in {folder}")
    out = []
    for path in files:
        samples = read_audio(path, 16000).astype(np.float32) / 32768.0
        out.append((path.name, samples[: int(seconds * 16000)]))
    # The legs that talk most come first, so even the one-stream row has turns to measure.
    return sorted(out, key=lambda item: -speech_fraction(item[1]))


def speech_fraction(samples: np.ndarray, window: int = 480) -> float:
    """Share of 30 ms windows louder than -40 dBFS: a cheap stand-in for talk time."""
    n = len(samples) // window
    if n == 0:
        return 0.0
    rms = np.sqrt(np.mean(samples[: n * window].reshape(n, window) ** 2, axis=1))
    return float(np.mean(rms > 0.01))


async def run_level(streams: list[tuple[str, np.ndarray]], n: int, settings: Settings,
                    recognizer: Recognizer) -> dict:
    tracker = LatencyTracker()
    compute0 = recognizer.compute_s
    started = time.perf_counter()
    picked = [streams[i % len(streams)] for i in range(n)]
    results = await asyncio.gather(*(
        stream_through_stt(samples, settings, recognizer, tracker, 1.0, call_id=f"bench-{n}-{i}")
        for i, (_, samples) in enumerate(picked)))
    audio_s = sum(len(s) for _, s in picked) / 16000
    finals = sum(len(r.finals) for r in results)
    partials = sum(len(r.partials) for r in results)
    return {"streams": n, "audio_s": round(audio_s, 1),
            "wall_s": round(time.perf_counter() - started, 1), "finals": finals,
            "partials_per_final": round(partials / finals, 2) if finals else 0.0,
            "rtf": round((recognizer.compute_s - compute0) / audio_s, 4),
            **tracker.summary()}


async def bench(folder: Path, settings: Settings, recognizer: Recognizer,
                levels: list[int], seconds: float) -> list[dict]:
    streams = load_streams(folder, seconds)
    return [await run_level(streams, n, settings, recognizer) for n in levels]


def run_bench(folder: Path, settings: Settings, levels: list[int], seconds: float) -> list[dict]:
    from ..stt.engines import shared_recognizer

    return asyncio.run(bench(folder, settings, shared_recognizer(settings), levels, seconds))


def summary_of(rows: list[dict]) -> dict[str, float]:
    return summary_by_count(rows, "streams", "streams", (
        "speech_end_to_final_p50_s", "speech_end_to_final_p95_s",
        "speech_start_to_first_partial_p50_s", "speech_start_to_first_partial_p95_s", "rtf"))
