"""What the call server accepts from the network, and how it says no.

Every answer that is not a success is a 4xx with a short JSON ``{"error": …}`` (the customer
page shows ``error``): a body too big (413), not JSON (415 for another content type, 400 for
bytes that do not parse, nesting included), a value that is wrong (400). Values a client sent
are quoted shortened, so a megabyte of junk is not echoed back. A bug still answers 500, but
as one short line: the traceback goes to the log, never to the client.
"""

from __future__ import annotations

import json
import logging

from aiohttp import web

log = logging.getLogger(__name__)
MAX_BODY = 256 * 1024    # an SDP is a few kB; aiohttp refuses more before it is buffered
MAX_MESSAGE = 200        # characters of an error message
SHOWN = 40               # characters of a client's value quoted in a message


def shown(value: object) -> str:
    """``value`` as a message quotes it: repr, cut to a few dozen characters."""
    text = repr(value)
    return text if len(text) <= SHOWN else text[:SHOWN] + "…"


def refusal(status: int, message: str) -> web.HTTPException:
    """An HTTP error carrying ``{"error": message}``, the message cut short."""
    if len(message) > MAX_MESSAGE:
        message = message[:MAX_MESSAGE] + "…"
    error = web.HTTPException(text=json.dumps({"error": message}),
                              content_type="application/json")
    error.set_status(status)
    return error


def bad(message: str) -> web.HTTPException:
    return refusal(400, message)


def parse_json(raw: bytes) -> object:
    """The JSON value in ``raw`` (UTF-8, as JSON is on the wire whatever charset a header
    claims); ValueError when it is not JSON or nests deeper than the parser can go."""
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ValueError("the body must be JSON") from None
    except RecursionError:  # "[[[[…" a quarter of a megabyte deep
        raise ValueError("the body nests too deep") from None


async def read_body(request: web.Request) -> bytes:
    """The request's body, at most MAX_BODY bytes (the app's client_max_size)."""
    try:
        return await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise refusal(413, f"the body is over {MAX_BODY // 1024} kB") from None


async def json_object(request: web.Request) -> dict:
    """The request's body as a JSON object, or a 4xx saying what is wrong with it."""
    if request.content_type != "application/json":
        raise refusal(415, "send the body as Content-Type: application/json")
    raw = await read_body(request)
    if not raw.strip():
        raise bad("the body is empty: send a JSON object")
    try:
        body = parse_json(raw)
    except ValueError as exc:
        raise bad(str(exc)) from None
    if not isinstance(body, dict):
        raise bad("the body must be a JSON object")
    return body


@web.middleware
async def short_errors(request: web.Request, handler):
    """aiohttp's own refusals (404, 405, 413) as short JSON too, and a bug as a short 500."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.content_type == "application/json" or exc.status < 400:
            raise
        raise refusal(exc.status, exc.reason) from None
    except Exception:
        log.exception("%s %s failed", request.method, request.path)
        raise refusal(500, "internal error (logged on the server)") from None
