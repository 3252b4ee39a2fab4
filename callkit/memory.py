"""Gives the heap memory an ended call freed back to the operating system.

A call allocates and frees a great deal on several threads (Opus frames on aiortc's decoder
threads, resampled audio, whisper's windows on its worker). glibc's malloc keeps freed
memory in per-thread arenas for reuse, and the pages between chunks still in use stay
resident: over hours of calls the process grows though nothing leaks. ``malloc_trim(0)``
hands every arena's free pages back (docs/RELIABILITY.md, "Soak": over 4 hours of calls, 8
at a time, memory 50-90 MB lower at the same load). Other C libraries (musl, macOS) have no
such call; there this does nothing.
"""

from __future__ import annotations

import asyncio
import ctypes


def _libc(name: str):
    try:
        return getattr(ctypes.CDLL(None), name)  # the process's own symbols: glibc's, if linked
    except (AttributeError, OSError):
        return None


_malloc_trim_fn = _libc("malloc_trim")


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]


_mallinfo2_fn = _libc("mallinfo2")  # glibc 2.33 and later
if _mallinfo2_fn is not None:
    _mallinfo2_fn.restype = _MallInfo2


def heap_mb() -> tuple[float, float] | None:
    """What C code holds from malloc, over every arena: (in use, freed but not returned to
    the system), in MB; None without glibc. Tells memory that is held (a cache, a leak)
    from memory that is only fragmented (freed, kept between chunks in use; a trim makes
    its whole pages non-resident but malloc still counts them)."""
    if _mallinfo2_fn is None:
        return None
    info = _mallinfo2_fn()
    return (info.uordblks + info.hblkhd) / 2**20, info.fordblks / 2**20


def can_give_back() -> bool:
    return _malloc_trim_fn is not None


async def give_back_freed_memory() -> None:
    """Trim the heap on a worker thread (it walks every arena: 10-50 ms with 8 calls live)."""
    if _malloc_trim_fn is None:
        return
    try:
        await asyncio.to_thread(_malloc_trim_fn, 0)
    except RuntimeError:  # the process is exiting (no new threads): its memory goes anyway
        pass
