"""Bounded waits for the way out: ending a call must never wait forever on one of its parts.

Why not ``asyncio.wait_for``: on Python 3.11 it returns the inner result when that result
and a cancellation land in the same loop pass, and the cancellation is lost (CPython
gh-86296). A loop that reads frames with it can then ignore ``cancel()`` for good, which is
how ending a call used to hang under load. Here the awaited work runs as its own task that
we only ever *watch* with ``asyncio.wait``, so our deadline holds whatever the work does
with its cancellation.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable

log = logging.getLogger(__name__)

CANCEL_GRACE_S = 1.0  # how long cancelled work gets to unwind before we stop watching it

# Work that ignored its cancellation: kept referenced so it is not garbage-collected while
# pending ("Task was destroyed but it is pending"), and dropped once it finishes.
_stragglers: set[asyncio.Future] = set()


async def finish_within(work: Awaitable, timeout: float, what: str):
    """Await ``work`` for at most ``timeout`` seconds and return its result.

    Past the deadline the work is cancelled and logged, and :class:`TimeoutError` is raised
    with ``what`` in its message; the caller decides what an unfinished step means. If the
    caller itself is cancelled, the work is cancelled too.
    """
    task = asyncio.ensure_future(work)
    try:
        done, _ = await asyncio.wait({task}, timeout=timeout)
    except asyncio.CancelledError:
        task.cancel()
        raise
    if done:
        return task.result()
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=CANCEL_GRACE_S)
    if not done:
        log.error("%s ignored its cancellation; it is left to finish alone", what)
        keep_until_done(task)
    else:
        log.warning("%s did not finish within %.1f s; cancelled", what, timeout)
        if not task.cancelled():
            # A cancelled gather() ends with its CancelledError set as an exception; unread,
            # asyncio logs it later as "exception was never retrieved".
            task.exception()
    raise TimeoutError(f"{what} did not finish within {timeout:.1f} s")


def keep_until_done(task: asyncio.Future) -> None:
    """Hold a reference to work we no longer wait for, until it finishes."""
    _stragglers.add(task)
    task.add_done_callback(_stragglers.discard)


async def settle_within(work: Awaitable, timeout: float, what: str) -> bool:
    """:func:`finish_within` for clean-up steps: True if ``work`` finished in time, False
    if it was cut off or failed (both logged). Nothing is raised but a cancellation."""
    try:
        await finish_within(work, timeout, what)
        return True
    except TimeoutError:
        return False
    except Exception:
        log.exception("%s failed", what)
        return False
