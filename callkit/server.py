"""The customer simulator server: aiohttp on 127.0.0.1, every route behind a token.

- ``GET /?token=…&call=…``   the customer page: microphone (or a recorded call) → WebRTC
- ``POST /offer``            a leg's SDP offer → answer (JSON: sdp, type, call, leg, rejoin)
- ``POST /play``             play a recorded call's customer leg into a call (JSON: call, recording)
- ``GET /events/{call}``     Server-Sent Events: the call's transcript, suggestions, context…
                             (numbered: ``Last-Event-ID`` or ``?after=N`` resumes)
- ``GET /calls``             the calls this server knows, with their legs' states
The token is compared in constant time; a wrong or missing token gets 403 and nothing else.
"""

from __future__ import annotations

import asyncio
import hmac
import html
import json
import logging
import secrets
from importlib import resources

from aiohttp import web
from aiortc import RTCSessionDescription

from .call import Call, CallCenter, CallClosed
from .events import AudioLevel, CallSummary, Event, to_json
from .journal import Journal
from .recordings import list_recordings, load_recording
from .rtc.peer import SignalingError

log = logging.getLogger(__name__)
MAX_BODY = 256 * 1024  # an SDP is a few kB
SSE_HEARTBEAT_S = 15.0


def _page(name: str) -> str:
    return resources.files("callkit").joinpath("pages", name).read_text()


class CallServer:
    def __init__(self, center: CallCenter, *, host: str = "127.0.0.1", port: int = 0,
                 token: str | None = None):
        self.center = center
        self.host = host
        self.port = port
        self.token = token or secrets.token_urlsafe(16)
        self._runner: web.AppRunner | None = None
        self._closing = asyncio.Event()  # ends the open event streams

    # lifecycle ---------------------------------------------------------------------------
    async def start(self) -> "CallServer":
        app = web.Application(client_max_size=MAX_BODY, middlewares=[self._require_token])
        app.router.add_get("/", self._customer_page)
        app.router.add_post("/offer", self._offer)
        app.router.add_post("/play", self._play)
        app.router.add_get("/events/{call_id}", self._events)
        app.router.add_get("/calls", self._calls)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # noqa: SLF001 (no public API)
        return self

    async def close(self) -> None:
        self._closing.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> "CallServer":
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def customer_url(self, call: Call | str) -> str:
        call_id = call if isinstance(call, str) else call.call_id
        return f"{self.url}/?token={self.token}&call={call_id}"

    # handlers ----------------------------------------------------------------------------
    @web.middleware
    async def _require_token(self, request: web.Request, handler):
        given = request.query.get("token") or request.headers.get("X-Callkit-Token", "")
        if not hmac.compare_digest(given.encode(), self.token.encode()):
            return web.json_response({"error": "a valid token is required"}, status=403)
        return await handler(request)

    def _call(self, call_id: str | None) -> Call:
        if not call_id:
            raise web.HTTPBadRequest(text=json.dumps({"error": "no call given"}),
                                     content_type="application/json")
        try:
            return self.center.get(call_id)
        except LookupError:
            raise web.HTTPNotFound(text=json.dumps({"error": f"no call {call_id}"}),
                                   content_type="application/json") from None

    async def _customer_page(self, request: web.Request) -> web.Response:
        self._call(request.query.get("call"))
        page = _page("customer.html").replace(
            "__RECORDINGS__", html.escape(json.dumps(list_recordings()), quote=True))
        return web.Response(text=page, content_type="text/html",
                            headers={"Cache-Control": "no-store"})

    async def _json_body(self, request: web.Request) -> dict:
        try:
            body = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise _bad("the body must be JSON") from None
        if not isinstance(body, dict):
            raise _bad("the body must be a JSON object")
        return body

    async def _offer(self, request: web.Request) -> web.Response:
        body = await self._json_body(request)
        call = self._call(body.get("call"))
        sdp, kind = body.get("sdp"), body.get("type", "offer")
        if not isinstance(sdp, str) or not sdp.strip():
            raise _bad("'sdp' must be the offer's SDP text")
        try:
            answer = await call.answer(body.get("leg", "customer"),
                                       RTCSessionDescription(sdp=sdp, type=kind),
                                       rejoin=bool(body.get("rejoin")))
        except SignalingError as exc:
            raise _bad(str(exc)) from None
        except CallClosed as exc:
            raise web.HTTPConflict(text=json.dumps({"error": str(exc)}),
                                   content_type="application/json") from None
        return web.json_response({"sdp": answer.sdp, "type": answer.type,
                                  "call": call.call_id})

    async def _play(self, request: web.Request) -> web.Response:
        body = await self._json_body(request)
        call = self._call(body.get("call"))
        name = body.get("recording")
        if name not in list_recordings():
            raise _bad(f"unknown recording {name!r}; known: {', '.join(list_recordings())}")
        try:
            track = await call.play("customer", load_recording(name).legs["customer"])
        except (CallClosed, ValueError) as exc:
            raise web.HTTPConflict(text=json.dumps({"error": str(exc)}),
                                   content_type="application/json") from None
        return web.json_response({"call": call.call_id, "duration_s": track.duration_s})

    async def _calls(self, request: web.Request) -> web.Response:
        return web.json_response([{"call": c.call_id, "title": c.title, "status": c.status,
                                   "legs": c.legs} for c in self.center.calls.values()])

    async def _events(self, request: web.Request) -> web.StreamResponse:
        """The seed's SSE pattern: one ``data:`` line of JSON per event, as it happens.

        Each event's SSE ``id`` is its number in the call's journal. A client that reconnects
        (EventSource does so by itself and sends ``Last-Event-ID``), or asks ``?after=N``, gets
        what it missed and nothing twice; a new client first gets the call so far.
        """
        call = self._call(request.match_info["call_id"])
        journal = call.journal
        after = _last_event_id(request)
        if journal.closed and after >= journal.last_id:
            # Nothing more will come; 204 tells an EventSource to stop reconnecting.
            return web.Response(status=204)
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream",
                                               "Cache-Control": "no-cache"})
        await response.prepare(request)
        catching_up = True
        try:
            while True:
                for number, event in journal.since(after):
                    after = number
                    if catching_up and isinstance(event, AudioLevel):
                        continue  # past levels are noise to a client catching up
                    payload = _payload(event)
                    await response.write(f"id: {number}\nevent: {payload['type']}\n"
                                         f"data: {json.dumps(payload, default=str)}\n\n".encode())
                    if isinstance(event, CallSummary):  # the last event of a call
                        return response
                catching_up = False
                more = await self._wait(journal, after)
                if more is None or (journal.closed and after >= journal.last_id):
                    return response
                if not more:
                    await response.write(b": keep-alive\n\n")
        except ConnectionResetError:
            return response  # the client went away; it can come back with Last-Event-ID

    async def _wait(self, journal: Journal, after: int) -> bool | None:
        """True once the journal has more, False after a quiet heartbeat interval, None when
        this server is closing."""
        grew = asyncio.ensure_future(journal.wait(after, SSE_HEARTBEAT_S))
        closing = asyncio.ensure_future(self._closing.wait())
        done, pending = await asyncio.wait({grew, closing}, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        return None if closing in done else grew.result()


def _last_event_id(request: web.Request) -> int:
    raw = request.headers.get("Last-Event-ID") or request.query.get("after") or "0"
    try:
        return max(0, int(raw))
    except ValueError:
        raise _bad(f"Last-Event-ID / after must be an event number, not {raw!r}") from None


def _payload(event: Event) -> dict:
    if isinstance(event, AudioLevel):
        return {"type": "AudioLevel", "leg": event.leg, "rms": event.rms, "peak": event.peak,
                "t": event.t}
    return to_json(event)


def _bad(message: str) -> web.HTTPBadRequest:
    return web.HTTPBadRequest(text=json.dumps({"error": message}), content_type="application/json")
