"""``callkit bench soak``: many calls at once for a long stretch of call time, and what they
leave behind.

``lines`` call lines each play the kit's recorded calls back to back, through real aiortc
peers over loopback, whisper, the rules assistant and a seeded DuckDB file (as ``callkit
demo`` does), at ``speed`` times real time, until each line has played ``minutes`` of call
time. First ``warmup_rounds`` rounds (one call per line, all at once) warm up the model,
the pools, the caches, malloc's arenas and the center's store of ended calls (by default
``WARMUP_ROUNDS``, and at least enough to fill the store: it keeps the last ``KEEP_ENDED``,
so memory grows by design until then); then the process is measured, and measured again
once every call has ended:

- resident memory after the warm-up and at the end (both with no call live, so they compare
  like with like), and the peak; and its median as the calls of each third of the soak
  ended (``rss_growth_last_third_pct``: a leak climbs to the end, a cache that is still
  filling after the warm-up flattens out);
- what should be back where it was: asyncio tasks, threads (other than the bounded worker
  pools), RTCPeerConnection objects, open file descriptors, and journals of ended calls
  (the center keeps the last ``KEEP_ENDED``; any other journal still alive is a leak).
"""

from __future__ import annotations

import asyncio
import gc
import statistics
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from aiortc import RTCPeerConnection

from ..center import KEEP_ENDED, CallCenter
from ..config import Settings
from ..events import LatencyMark
from ..journal import Journal
from ..metrics import LatencyTracker
from ..recordings import list_recordings
from ..store.seed import seed
from ..memory import heap_mb
from .memory_use import anonymous_by_kind_mb, memory_use, peak_rss_mb, rss_mb

# Threads of pools that are bounded and shared by every call (created on first use).
POOL_THREADS = ("callkit-stt", "callkit-db", "asyncio_", "tqdm_monitor")
# From a 3-round warm-up a full soak (8 lines) rose for about 100 minutes of call time,
# then held; from 12 rounds (96 calls) it stayed within 10% (docs/RELIABILITY.md, "Soak").
WARMUP_ROUNDS = 12
SETTLE_S = 15.0  # how long closing peers and their threads get to finish after the last call
COUNTS = ("tasks", "threads", "peers", "open_files", "journals")


@dataclass
class Snapshot:
    rss_mb: float
    tasks: int
    threads: int
    peers: int
    open_files: int | None
    journals: int          # journals alive that no call held by the center owns
    calls_held: int
    # Where memory lives, to tell a growing cache from a leak from fragmentation: objects
    # the Python garbage collector tracks, what DuckDB reports holding (its buffer pool and
    # the rest), the anonymous part of resident memory and what malloc holds (memory_use).
    python_objects: int
    memory: dict
    duckdb_mb: float = 0.0

    def row(self, phase: str, calls: int, call_time_min: float) -> dict:
        return {"phase": phase, "calls": calls, "call_time_min": round(call_time_min, 1),
                "rss_mb": round(self.rss_mb, 1), "tasks": self.tasks, "threads": self.threads,
                "peers": self.peers, "open_files": self.open_files,
                "journals": self.journals, "calls_held": self.calls_held,
                "python_objects": self.python_objects, "duckdb_mb": round(self.duckdb_mb, 1),
                **{k: v for k, v in self.memory.items() if k != "rss_mb"}}


def by_thirds(trail: list[tuple]) -> list[float]:
    """Median resident memory as the calls of each third of the soak ended: a leak climbs
    from the middle third to the last; a cache still filling after the warm-up shows in the
    first third only."""
    rss = [point[1] for point in trail]
    n = len(rss) // 3
    if n == 0:
        return []
    return [round(statistics.median(part), 1)
            for part in (rss[:n], rss[n:2 * n], rss[2 * n:])]


def open_files() -> int | None:
    fd_dir = Path("/proc/self/fd")
    return len(list(fd_dir.iterdir())) if fd_dir.is_dir() else None


def call_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if not t.name.startswith(POOL_THREADS)]


def snapshot(center: CallCenter) -> Snapshot:
    gc.collect()
    current = asyncio.current_task()
    objects = gc.get_objects()
    held = {id(call.journal) for call in center.calls.values()}
    memory = memory_use()
    return Snapshot(
        rss_mb=memory["rss_mb"],
        tasks=sum(1 for t in asyncio.all_tasks() if t is not current and not t.done()),
        threads=len(call_threads()),
        peers=sum(1 for o in objects if isinstance(o, RTCPeerConnection)),
        open_files=open_files(),
        journals=sum(1 for o in objects if isinstance(o, Journal) and id(o) not in held),
        calls_held=len(center.calls), python_objects=len(objects), memory=memory)


async def measured(center: CallCenter, baseline: Snapshot | None = None) -> Snapshot:
    """A snapshot (once settled back to ``baseline``, if given) with DuckDB's memory."""
    now = snapshot(center) if baseline is None else await settled(center, baseline)
    used, = await center.db.run(lambda con: con.execute(
        "SELECT coalesce(sum(memory_usage_bytes), 0) FROM duckdb_memory()").fetchone())
    now.duckdb_mb = used / 2**20
    now.memory.update(anonymous_by_kind_mb() or {})
    return now


async def settled(center: CallCenter, baseline: Snapshot) -> Snapshot:
    """The snapshot once the counts are back to ``baseline`` (or after SETTLE_S): peers
    that were just closed finish closing in the background for a moment."""
    deadline = time.monotonic() + SETTLE_S
    while True:
        now = snapshot(center)
        back = all((getattr(now, k) or 0) <= (getattr(baseline, k) or 0) for k in COUNTS)
        if back or time.monotonic() > deadline:
            return now
        await asyncio.sleep(0.5)


async def soak(settings: Settings, *, lines: int = 8, minutes: float = 30.0,
               speed: float = 1.0, warmup_rounds: int | None = None,
               names: list[str] | None = None, progress: bool = True) -> dict:
    from tqdm import tqdm

    names = names or list_recordings()
    if warmup_rounds is None:
        warmup_rounds = max(WARMUP_ROUNDS, -(-KEEP_ENDED // lines))  # and fill the store
    tracker = LatencyTracker()

    def observe(event) -> None:
        if isinstance(event, LatencyMark):
            tracker(event)

    with tempfile.TemporaryDirectory(prefix="callkit-soak-") as tmp:
        settings = settings.replace(db_path=Path(tmp) / "soak.duckdb", ice="loopback",
                                    replay_speed=speed)
        async with CallCenter(settings) as center:
            await center.db.run(lambda con: seed(con))
            started = time.monotonic()
            for round_ in tqdm(range(warmup_rounds), desc="warm-up", unit="round",
                               disable=not progress):
                await asyncio.gather(*(center.replay(names[(i + round_) % len(names)])
                                       for i in range(lines)))
            warm = await measured(center)
            warmup_wall = time.monotonic() - started
            played = [0.0] * lines
            calls = [0] * lines
            cut_short = []  # calls whose last words or summary ran out of time (fell behind)
            # (call time played so far, resident memory, malloc's in use) as each call ends
            trail = []
            bar = tqdm(total=lines * minutes, desc="soak", unit="call-min",
                       bar_format="{l_bar}{bar}| {n:.1f}/{total:.0f} call-min [{elapsed}<"
                                  "{remaining}{postfix}]", disable=not progress)

            async def line(number: int) -> None:
                while played[number] < minutes * 60:
                    name = names[(number + warmup_rounds + calls[number]) % len(names)]
                    call = await center.replay(name, observer=observe)
                    played[number] += call.duration_s
                    cut_short.extend(call.unfinished[:1])
                    calls[number] += 1
                    heap = heap_mb()
                    trail.append((round(sum(played) / 60, 2), round(rss_mb(), 1),
                                  heap and round(heap[0], 1)))
                    bar.update(min(call.duration_s / 60, bar.total - bar.n))
                    bar.set_postfix(calls=sum(calls), rss_mb=round(trail[-1][1]))

            started = time.monotonic()
            try:
                await asyncio.gather(*(line(n) for n in range(lines)))
            finally:
                bar.close()
            soak_wall = time.monotonic() - started
            end = await measured(center, warm)
            unsummarized, = await center.db.run(lambda con: con.execute(
                "SELECT count(*) FROM calls c LEFT JOIN call_summaries s USING (call_id) "
                "WHERE s.call_id IS NULL").fetchone())
            leftover = call_threads()
    total_min = sum(played) / 60
    growth = (end.rss_mb - warm.rss_mb) / warm.rss_mb * 100
    thirds = by_thirds(trail)
    rows = [warm.row("after warm-up", lines * warmup_rounds, 0.0),
            end.row("end", sum(calls), total_min)]
    summary = {
        "soak_lines": lines, "soak_calls": sum(calls), "soak_call_time_min": round(total_min, 1),
        "soak_speed": speed, "soak_wall_s": round(soak_wall, 1),
        "warmup_wall_s": round(warmup_wall, 1),
        "rss_after_warmup_mb": round(warm.rss_mb, 1), "rss_end_mb": round(end.rss_mb, 1),
        "rss_growth_pct": round(growth, 1), "rss_peak_mb": round(peak_rss_mb(), 1),
        "rss_median_by_third_mb": thirds,
        "rss_growth_last_third_pct": (round((thirds[2] - thirds[1]) / thirds[1] * 100, 1)
                                      if thirds else None),
        **{f"leaked_{k}": max(0, (getattr(end, k) or 0) - (getattr(warm, k) or 0))
           for k in COUNTS},
        "calls_cut_short": len(cut_short), "calls_without_summary": unsummarized,
        "ended_calls_held": end.calls_held,
        "ended_calls_kept_max": KEEP_ENDED,
        **{k: v for k, v in tracker.summary().items() if k.startswith("speech_end_to_final")},
    }
    return {"summary": summary, "rows": rows, "threads_left": leftover,
            "memory_by_call_time_min": trail}


def run_soak(settings: Settings, **options) -> dict:
    return asyncio.run(soak(settings, **options))
