"""Waiting for things to happen, with generous deadlines instead of fixed sleeps: a loaded
2-core CI machine may be several times slower than a developer's, never faster."""

import asyncio

DEADLINE_S = 60.0


async def until(predicate, what: str, timeout: float = DEADLINE_S, every: float = 0.02) -> None:
    """Return as soon as ``predicate()`` is true; fail naming ``what`` after ``timeout``."""
    try:
        async with asyncio.timeout(timeout):
            while not predicate():
                await asyncio.sleep(every)
    except TimeoutError:
        raise AssertionError(f"waited {timeout:.0f} s for {what}") from None
