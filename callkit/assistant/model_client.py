"""The HTTP side of the model engine: making an OpenAI client, closing a streamed response
for good, and saying in a few words why a request failed."""

from __future__ import annotations

import logging

from ..config import Settings

log = logging.getLogger(__name__)


def new_client(settings: Settings, base_url: str, api_key: str, keep_alive: bool = True):
    import openai

    http_client = None
    if not keep_alive:
        # llama.cpp's server drops an idle connection after 5 s; a request sent on it just
        # then fails ("cannot connect", seen here), and nothing retries. On loopback a new
        # connection per request costs nothing.
        import httpx2

        http_client = openai.DefaultAsyncHttpx2Client(
            limits=httpx2.Limits(max_keepalive_connections=0))
    return openai.AsyncOpenAI(base_url=base_url, api_key=api_key, http_client=http_client,
                              timeout=settings.openai_timeout_s, max_retries=0)


async def close_stream(stream) -> None:
    """Close a streamed response and release its connection; never raises."""
    try:
        # The SDK parses the stream in an async generator: closed here, not left to the
        # garbage collector (whose finalizer would close it later, in a task of its own).
        parser = getattr(stream, "_iterator", None)
        if parser is not None and hasattr(parser, "aclose"):
            await parser.aclose()
        await stream.close()
    except Exception:  # closing a broken connection can fail; it is gone either way
        log.debug("closing a model response failed", exc_info=True)


def describe(exc: Exception, answering: bool = False) -> str:
    """A few words for the agent's alert. `answering`: the response had begun, so a
    connection error means the model's server went away mid-answer, not that it is down."""
    name = type(exc).__name__
    status = getattr(exc, "status_code", None)
    if status:
        return f"HTTP {status}"
    if "Connection" in name or "Protocol" in name or "ReadError" in name:
        return "connection lost mid-answer" if answering else "cannot connect"
    if "Timeout" in name:
        return "timed out"
    return f"bad response ({name})"
