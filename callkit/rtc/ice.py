"""Which host addresses aiortc's ICE agent (aioice) offers as candidates.

aioice gathers every non-loopback address of the host, which is what a real browser needs
(browsers ignore 127.0.0.1 candidates unless told otherwise). When both peers are on this
machine (recorded-call replay, tests, benchmarks) we want 127.0.0.1 only, so nothing leaves
loopback. aioice has no option for that, so its address function is wrapped once, and the
wrapper answers per asyncio task through a context variable: code that runs inside
``loopback_only()`` (and tasks it starts) gathers 127.0.0.1; everything else is unchanged.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator

import aioice.ice

_loopback = contextvars.ContextVar("callkit_loopback_ice", default=False)
_original = aioice.ice.get_host_addresses


def _host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
    if _loopback.get():
        return ["127.0.0.1"] if use_ipv4 else []
    return _original(use_ipv4, use_ipv6)


aioice.ice.get_host_addresses = _host_addresses


@contextlib.contextmanager
def loopback_only(enabled: bool = True) -> Iterator[None]:
    """Gather only 127.0.0.1 for peer connections negotiated inside this block."""
    token = _loopback.set(enabled)
    try:
        yield
    finally:
        _loopback.reset(token)
