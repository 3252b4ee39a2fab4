"""callkit.memory: freed heap goes back to the operating system, and what the heap holds."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from callkit.bench.memory_use import memory_use
from callkit.memory import can_give_back, heap_mb

# A fragmented heap: 200 MB of 2 kB blocks, one in 64 kept. glibc keeps the pages between
# the survivors resident until it is asked to trim.
FRAGMENT_AND_TRIM = """
import asyncio
from callkit.bench.memory_use import rss_mb
from callkit.memory import give_back_freed_memory
blocks = [bytearray(2000) for _ in range(100_000)]
kept = blocks[::64]
del blocks
freed = rss_mb()
asyncio.run(give_back_freed_memory())
print(freed, rss_mb())
"""


@pytest.mark.skipif(not can_give_back(), reason="glibc's malloc_trim only")
def test_a_fragmented_heap_is_given_back():
    out = subprocess.run([sys.executable, "-c", FRAGMENT_AND_TRIM], capture_output=True,
                         text=True, check=True, timeout=120).stdout
    freed, trimmed = map(float, out.split())
    assert freed - trimmed > 100, (freed, trimmed)


@pytest.mark.skipif(heap_mb() is None, reason="glibc's mallinfo2 only")
def test_the_heap_counts_what_c_code_holds_and_what_it_freed():
    before, _ = heap_mb()
    held = [bytearray(4000) for _ in range(10_000)]  # 40 MB from malloc, in small chunks
    in_use, _ = heap_mb()
    del held[::2]
    after, freed_kept = heap_mb()
    assert in_use - before > 35 and in_use - after > 15 and freed_kept > 15


def test_the_benchmarks_read_where_memory_is():
    use = memory_use()
    assert use["rss_mb"] > 0
    if Path("/proc/self/smaps_rollup").exists():
        assert 0 < use["anonymous_mb"] < use["rss_mb"]


# In a fresh process: a long-lived one (the test run) has thread arenas with free pages
# already resident, which a new thread's allocations reuse.
THREAD_ALLOCATES = """
import json, threading
from callkit.bench.memory_use import anonymous_by_kind_mb
before = anonymous_by_kind_mb()
held = []
worker = threading.Thread(target=lambda: held.extend(bytearray(3000) for _ in range(10_000)))
worker.start()
worker.join()
print(json.dumps([before, anonymous_by_kind_mb()]))
"""


@pytest.mark.skipif(heap_mb() is None or not Path("/proc/self/smaps").exists(),
                    reason="glibc and Linux's /proc")
def test_memory_a_thread_allocates_is_counted_in_the_thread_arenas():
    out = subprocess.run([sys.executable, "-c", THREAD_ALLOCATES], capture_output=True,
                         text=True, check=True, timeout=120).stdout
    before, after = json.loads(out)
    assert after["thread_arenas_mb"] - before["thread_arenas_mb"] > 20, (before, after)
