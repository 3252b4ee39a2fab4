"""Where a benchmark's CPU time went, by kind of thread (Linux: /proc/self/task).

- native: threads with no Python name. Whisper computes there, in CTranslate2's own threads
  (its Python worker only waits on them); DuckDB's own threads are there too, and do little
  here (the recorder's inserts). The VAD's onnxruntime runs inline on the event loop.
- event_loop: the main thread: aiortc's RTP, SRTP and ICE, the VAD, the bus, every stage.
- thread_pools: asyncio's default executor (audio file decodes, …) and the DuckDB writer.
- ended_or_other: threads that ended while measured (a call's audio decoders), from the
  process's total, and any other named thread.
"""

from __future__ import annotations

import asyncio
import os
import threading

GROUPS = ("native", "event_loop", "thread_pools", "ended_or_other")


def _cpu_by_thread() -> dict[int, float]:
    ticks = os.sysconf("SC_CLK_TCK")
    out = {}
    try:
        tids = os.listdir("/proc/self/task")
    except OSError:  # not Linux: no breakdown
        return out
    for tid in tids:
        try:
            with open(f"/proc/self/task/{tid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:  # ended meanwhile
            continue
        out[int(tid)] = (int(fields[11]) + int(fields[12])) / ticks  # utime + stime
    return out


def _group(name: str | None) -> str:
    if name is None or name.startswith("callkit-stt"):
        return "native"
    if name == "MainThread":
        return "event_loop"
    if name.startswith(("asyncio_", "callkit-db", "ThreadPoolExecutor")):
        return "thread_pools"
    return "ended_or_other"


class ThreadCpu:
    """Started, then stopped: percent of one core per group over the time between."""

    def __init__(self) -> None:
        self._before = _cpu_by_thread()
        self._process_before = sum(os.times()[:2])
        self._names: dict[int, str] = {}
        self._task = asyncio.create_task(self._watch(), name="bench:thread-names")

    def _remember_names(self) -> None:
        for thread in threading.enumerate():
            if thread.native_id is not None:
                self._names[thread.native_id] = thread.name

    async def _watch(self) -> None:
        while True:  # threads come and go with calls; their names are read while they live
            self._remember_names()
            await asyncio.sleep(0.5)

    async def stop(self, wall_s: float) -> dict[str, float]:
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        self._remember_names()
        after, process = _cpu_by_thread(), sum(os.times()[:2]) - self._process_before
        if not after or wall_s <= 0:
            return {}
        spent = dict.fromkeys(GROUPS, 0.0)
        for tid, cpu in after.items():
            spent[_group(self._names.get(tid))] += cpu - self._before.get(tid, 0.0)
        spent["ended_or_other"] += max(0.0, process - sum(spent.values()))
        return {f"cpu_{k}_pct": round(100 * v / wall_s, 1) for k, v in spent.items()}
