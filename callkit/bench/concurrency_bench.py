"""``callkit bench concurrency``: how many calls one machine carries at once.

At each level N, N real recorded support calls (../shared/data/calls, caller and agent on
their own legs, taking turns as they did) play at the same time, in real time, through every
real part: aiortc peers over loopback, the VAD, whisper, the rules assistant, the recorder on
a seeded DuckDB file. Per level: latencies (p50/p95), audio lost on the way (sent minus
heard), the process's CPU use, how busy the one shared whisper worker was (what limits the
level once it nears 100%) and how much of that was finals, and peak resident memory while the
level ran. And how much load changed what was written: the first recording's copies at each
level against the same recording played alone (level 1), as a word error rate
(``transcript_change_vs_alone_pct``; the calls have no reference transcript, so this is the
issue's "accuracy no worse than 1 call", not an accuracy).

``max_concurrent_calls`` is the largest level whose p95 speech end → final stays within
``MAX_END_TO_FINAL_P95_S``; ``rss_one_call_mb`` is the peak with one call and
``rss_per_extra_call_mb`` what each further call added at the largest level.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from pathlib import Path

from ..center import CallCenter
from ..config import Settings
from ..events import LatencyMark, TranscriptFinal
from ..metrics import LatencyTracker
from ..recordings import RecordedCall
from ..rtc.sources import read_audio, write_wav
from ..store.seed import seed
from ..stt.engines import shared_recognizer
from .memory_use import rss_mb
from .thread_cpu import ThreadCpu

MAX_END_TO_FINAL_P95_S = 1.5
RATE = 16000
LATENCIES = ("speech_end_to_final_p50_s", "speech_end_to_final_p95_s",
             "speech_start_to_first_partial_p50_s", "final_to_first_token_p50_s",
             "final_to_first_token_p95_s")


def recorded_calls(folder: Path, seconds: float,
                   workdir: Path) -> list[tuple[RecordedCall, float]]:
    """The support calls in ``folder`` (``<name>_caller.wav`` + ``<name>_agent.wav``), cut to
    their first ``seconds`` and written as 16 kHz WAVs into ``workdir``; each with the
    seconds of audio it sends over both legs."""
    calls = []
    workdir.mkdir(parents=True, exist_ok=True)
    for caller in sorted(folder.glob("*_caller.wav")):
        name = caller.name[: -len("_caller.wav")]
        agent = caller.with_name(f"{name}_agent.wav")
        if not agent.is_file():
            continue
        legs, sent = {}, 0.0
        for leg, path in (("customer", caller), ("agent", agent)):
            samples = read_audio(path, RATE)[: int(seconds * RATE)]
            legs[leg] = workdir / f"{name}_{leg}.wav"
            write_wav(legs[leg], samples, RATE)
            sent += len(samples) / RATE
        calls.append((RecordedCall(id=name, title=name, legs=legs), sent))
    if not calls:
        raise FileNotFoundError(f"no <name>_caller.wav with its <name>_agent.wav in {folder}")
    return calls


class _PeakRss:
    """Samples resident memory while a level runs (the process peak never comes back down,
    so it cannot tell one level from the next)."""

    def __init__(self) -> None:
        self.peak = rss_mb()
        self._task = asyncio.create_task(self._watch(), name="bench:rss")

    async def _watch(self) -> None:
        while True:
            self.peak = max(self.peak, rss_mb())
            await asyncio.sleep(0.25)

    async def stop(self) -> float:
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        return max(self.peak, rss_mb())


async def _play(center: CallCenter, recording: RecordedCall, observe) -> tuple[float, dict]:
    """Play one call; the seconds of audio heard over both legs, and what each leg said (its
    finals in order)."""
    finals: dict[str, list[tuple[float, str]]] = {leg: [] for leg in recording.legs}

    def keep(event) -> None:
        observe(event)
        if isinstance(event, TranscriptFinal):
            finals[event.leg].append((event.start, event.text))

    call = center.new_call(title=recording.title)
    call.subscribe(keep, name="bench")
    call.start()
    try:
        await call.replay(recording)
        heard = sum(call.heard_s(leg) for leg in recording.legs)
    finally:
        await call.end()
    return heard, {leg: " ".join(text for _, text in sorted(said))
                   for leg, said in finals.items()}


def transcript_change_pct(alone: dict[str, str], copies: list[dict[str, str]]) -> float | None:
    """Word error rate of ``copies`` (what each leg said, in calls played beside others)
    against ``alone`` (the same recording played by itself), over every leg of every copy."""
    from .stt_eval import score

    if not copies or not " ".join(alone.values()).strip():
        return None
    errors = words = 0
    for copy in copies:
        for leg, text in copy.items():
            out = score(alone[leg], text)
            errors += out.substitutions + out.deletions + out.insertions
            words += out.substitutions + out.deletions + out.hits
    return round(100 * errors / max(words, 1), 2)


async def run_level(center: CallCenter, calls: list[tuple[RecordedCall, float]],
                    n: int) -> dict:
    tracker = LatencyTracker()

    def observe(event) -> None:
        if isinstance(event, LatencyMark):
            tracker(event)

    recognizer = shared_recognizer(center.settings)
    rss, threads = _PeakRss(), ThreadCpu()
    cpu0, wall0 = os.times(), time.monotonic()
    decode0, finals0 = recognizer.compute_s, recognizer.final_compute_s
    picked = [calls[i % len(calls)] for i in range(n)]
    played = await asyncio.gather(*(_play(center, call, observe) for call, _ in picked))
    heard = [h for h, _ in played]
    cpu1, wall = os.times(), time.monotonic() - wall0
    cpu_s = (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)
    sent = sum(s for _, s in picked)
    lost = sum(max(0.0, s - h) for (_, s), h in zip(picked, heard))
    summary = tracker.summary()
    return {"calls": n, "legs": 2 * n, "wall_s": round(wall, 1),
            **{k: summary.get(k) for k in LATENCIES},
            "finals": sum(summary.get(f"{span}_n", 0)
                          for span in ("speech_end_to_final", "split_to_final")),
            "audio_lost_s": round(lost, 2), "audio_lost_pct": round(100 * lost / sent, 2),
            "cpu_pct": round(100 * cpu_s / wall / (os.cpu_count() or 1), 1),
            # The one whisper worker every call shares: near 100% it is what limits the level.
            "whisper_busy_pct": round(100 * (recognizer.compute_s - decode0) / wall, 1),
            # Of it, finals and decodes ahead: partials only fill the gaps between them, so
            # when this alone nears 100% no scheduling can keep up (docs/SPEED.md).
            "whisper_finals_pct": round(100 * (recognizer.final_compute_s - finals0) / wall, 1),
            "peak_rss_mb": round(await rss.stop(), 1),
            # What the CPU went to: whisper's native threads against everything else.
            **await threads.stop(wall),
            # What the first recording's copies said, compared across levels by bench().
            "said": [said for (call, _), (_, said) in zip(picked, played)
                     if call.id == calls[0][0].id]}


async def bench(folder: Path, settings: Settings, levels: list[int], seconds: float,
                progress: bool = True) -> list[dict]:
    from tqdm import tqdm

    with tempfile.TemporaryDirectory(prefix="callkit-concurrency-") as tmp:
        calls = await asyncio.to_thread(recorded_calls, folder, seconds, Path(tmp))
        warm_up = await asyncio.to_thread(recorded_calls, folder, 3.0, Path(tmp) / "warm-up")
        settings = settings.replace(db_path=Path(tmp) / "bench.duckdb", ice="loopback",
                                    replay_speed=1.0)
        async with CallCenter(settings) as center:
            await center.db.run(lambda con: seed(con))
            # One short call first, so model loads and first-use costs land in no level.
            await run_level(center, warm_up[:1], 1)
            rows = []
            for n in tqdm(levels, desc="bench concurrency", unit="level", disable=not progress):
                rows.append(await run_level(center, calls, n))
            alone = next((row["said"][0] for row in rows if row["calls"] == 1), None)
            for row in rows:
                said = row.pop("said")
                row["transcript_change_vs_alone_pct"] = (
                    None if alone is None else transcript_change_pct(alone, said))
            return rows


def run_bench(folder: Path, settings: Settings, levels: list[int], seconds: float,
              progress: bool = True) -> list[dict]:
    return asyncio.run(bench(folder, settings, levels, seconds, progress))


def summary_of(rows: list[dict]) -> dict[str, float]:
    """DESIGN.md's capacity and memory figures, and each level's latencies."""
    from .report import summary_by_count

    out = summary_by_count(rows, "calls", "calls", (
        "speech_end_to_final_p50_s", "speech_end_to_final_p95_s", "audio_lost_pct", "cpu_pct",
        "peak_rss_mb", "transcript_change_vs_alone_pct"))
    out["max_concurrent_calls"] = 0
    for row in sorted(rows, key=lambda r: r["calls"]):  # the first level past it ends the count
        p95 = row["speech_end_to_final_p95_s"]
        if p95 is None or p95 > MAX_END_TO_FINAL_P95_S:
            break
        out["max_concurrent_calls"] = row["calls"]
    one = next((r for r in rows if r["calls"] == 1), None)
    most = max(rows, key=lambda r: r["calls"])
    if one is not None:
        out["rss_one_call_mb"] = one["peak_rss_mb"]
        if most["calls"] > 1:
            out["rss_per_extra_call_mb"] = round(
                (most["peak_rss_mb"] - one["peak_rss_mb"]) / (most["calls"] - 1), 1)
    return out
