"""Where the process's memory is, for the benchmarks: resident in all, the part that is
anonymous (heaps, arenas, stacks: what a call can leave behind; the rest maps the model's
and the libraries' files), and what malloc holds in use and freed-but-kept (a cache or a
leak holds memory; fragmentation only keeps it resident)."""

from __future__ import annotations

import re
import resource
from pathlib import Path

from ..memory import heap_mb


def _proc_kb(path: str, key: str) -> float | None:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(key):
                return float(line.split()[1])
    except OSError:
        pass
    return None


def rss_mb() -> float:
    kb = _proc_kb("/proc/self/status", "VmRSS:")
    if kb is None:
        return peak_rss_mb()  # the best there is without /proc
    return kb / 1024


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


ARENA_ALIGN = 64 << 20  # glibc maps each thread arena's heap aligned to HEAP_MAX_SIZE (64 bit)
_MAPPING = re.compile(r"^([0-9a-f]+)-[0-9a-f]+ \S+ \S+ \S+ (\d+)\s*(.*)$")


def anonymous_by_kind_mb() -> dict | None:
    """Anonymous resident memory by who mapped it: malloc's main heap, its thread arenas,
    and the rest (Python's object arenas, thread stacks, large blocks malloc maps one by
    one, native libraries' own allocators). Reads /proc/self/smaps: for snapshots only."""
    kinds = {"main_heap_mb": 0, "thread_arenas_mb": 0, "other_anonymous_mb": 0}
    kind = None
    try:
        with open("/proc/self/smaps") as smaps:
            for line in smaps:
                mapping = _MAPPING.match(line)
                if mapping:
                    start, inode, name = mapping.groups()
                    kind = ("main_heap_mb" if name == "[heap]" else
                            None if inode != "0" or name.startswith("/") else
                            "thread_arenas_mb" if int(start, 16) % ARENA_ALIGN == 0 else
                            "other_anonymous_mb")
                elif kind and line.startswith("Rss:"):
                    kinds[kind] += int(line.split()[1])
    except OSError:
        return None
    return {k: round(kb / 1024, 1) for k, kb in kinds.items()}


def memory_use() -> dict:
    """Resident, anonymous resident, malloc's in use and freed-but-kept, in MB (None where
    the system cannot say)."""
    anonymous = _proc_kb("/proc/self/smaps_rollup", "Anonymous:")
    heap = heap_mb()
    return {"rss_mb": round(rss_mb(), 1),
            "anonymous_mb": None if anonymous is None else round(anonymous / 1024, 1),
            "malloc_in_use_mb": None if heap is None else round(heap[0], 1),
            "malloc_free_mb": None if heap is None else round(heap[1], 1)}
