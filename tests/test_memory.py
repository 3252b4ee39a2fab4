"""memory.give_back_freed_memory: freed heap goes back to the operating system."""

import subprocess
import sys

import pytest

from callkit.memory import can_give_back

# A fragmented heap: 200 MB of 2 kB blocks, one in 64 kept. glibc keeps the pages between
# the survivors resident until it is asked to trim.
FRAGMENT_AND_TRIM = """
import asyncio, os
from callkit.memory import give_back_freed_memory
def rss_mb():
    return int(open("/proc/self/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
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
