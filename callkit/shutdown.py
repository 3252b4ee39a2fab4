"""Closing the calls still open when the process exits (a kernel shut down mid-call).

aiortc decodes received audio on a non-daemon thread that ends only when its peer connection
closes, and Python joins non-daemon threads before it runs ``atexit`` handlers: a process
that exits with a call open would wait forever (JupyterLab kills such a kernel after a grace
period). So every CallCenter is tracked here, and at exit the ones still open are closed on
their own event loop, from the hook ``concurrent.futures`` uses for the same reason: it runs
before those threads are joined. Python has no public hook for that moment, hence the
private ``threading._register_atexit`` (present since 3.9), with ``atexit`` as a fallback.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import threading
import time
import weakref
from typing import Protocol

from .deadline import finish_within

log = logging.getLogger(__name__)
CLOSE_TIMEOUT_S = 8.0


class Closable(Protocol):
    loop: asyncio.AbstractEventLoop | None

    async def aclose(self, *, within: float | None = None) -> None: ...


_open: "weakref.WeakSet[Closable]" = weakref.WeakSet()
_registered = False
_lock = threading.Lock()


def close_at_exit(owner: Closable) -> None:
    """Close ``owner`` (on its ``loop``) if it is still open when the process exits."""
    global _registered
    with _lock:
        if not _registered:
            getattr(threading, "_register_atexit", atexit.register)(_close_open)
            _registered = True
        _open.add(owner)


def closed(owner: Closable) -> None:
    _open.discard(owner)


def _close_open() -> None:
    for owner in list(_open):
        loop = owner.loop
        if loop is None or loop.is_closed():
            continue
        try:
            if loop.is_running():  # a loop on another thread
                asyncio.run_coroutine_threadsafe(owner.aclose(within=CLOSE_TIMEOUT_S),
                                                 loop).result(CLOSE_TIMEOUT_S)
            else:  # the main loop, stopped by the kernel's shutdown but not closed
                _run_to_end(loop, finish_within(owner.aclose(within=CLOSE_TIMEOUT_S),
                                                CLOSE_TIMEOUT_S,
                                                "closing the calls still open at exit"))
        except Exception:
            log.exception("could not close %r at exit", owner)


def _run_to_end(loop: asyncio.AbstractEventLoop, coro) -> None:
    """Run ``coro`` on a stopped loop until it is done. A kernel's shutdown may leave a
    ``stop()`` pending on its loop, which ends the first run after one pass; run on."""
    future = asyncio.ensure_future(coro, loop=loop)
    deadline = time.monotonic() + CLOSE_TIMEOUT_S + 1.0
    while not future.done() and time.monotonic() < deadline:
        try:
            loop.run_until_complete(future)
        except RuntimeError:
            if future.done():
                raise
    future.result()
