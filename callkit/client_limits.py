"""How much of the call server one client address may hold at once.

Every request in progress counts against its address, and an event stream (SSE) is a request
that lasts the whole call, so streams have a lower bound of their own. Past either bound the
answer is 429 at once: a page that reloads in a loop, or a script that opens streams and never
reads them, cannot take the server's memory, sockets or event loop from everyone else.

Behind a reverse proxy every client has the proxy's address; the server is meant for
127.0.0.1 (one machine), where the bounds are per machine and sized for a few browser tabs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from aiohttp import web

from .web_input import refusal

MAX_REQUESTS = 64  # in progress per address, streams included
MAX_STREAMS = 16   # open event streams per address (a browser holds at most 6 per host)


class ClientLimits:
    def __init__(self, *, max_requests: int = MAX_REQUESTS, max_streams: int = MAX_STREAMS,
                 is_stream: Callable[[web.Request], bool] = lambda request: False):
        if max_requests < 1 or max_streams < 1:
            raise ValueError("max_requests and max_streams must be at least 1")
        self.max_requests = max_requests
        self.max_streams = max_streams
        self.is_stream = is_stream
        self.requests: Counter[str] = Counter()  # in progress, by address
        self.streams: Counter[str] = Counter()

    @web.middleware
    async def middleware(self, request: web.Request, handler):
        client = request.remote or "unknown"
        stream = self.is_stream(request)
        if self.requests[client] >= self.max_requests:
            raise refusal(429, "too many requests in progress from this address")
        if stream and self.streams[client] >= self.max_streams:
            raise refusal(429, "too many event streams open from this address")
        self.requests[client] += 1
        if stream:
            self.streams[client] += 1
        try:
            return await handler(request)
        finally:
            _release(self.requests, client)
            if stream:
                _release(self.streams, client)


def _release(counts: Counter[str], client: str) -> None:
    counts[client] -= 1
    if counts[client] <= 0:
        del counts[client]  # an address that left holds no memory here
