"""The call server: aiohttp on 127.0.0.1, every route behind a token (see access.py).

- ``GET /?token=…&call=…``   the caller's page: who is calling, microphone or a recorded call
                             → WebRTC both ways (``&leg=agent`` with the agent's token: the
                             agent's line)
- ``POST /offer``            a leg's SDP offer → answer (JSON: sdp, type, call, leg, rejoin,
                             caller: the caller ID, customer leg only)
- ``POST /play``             play a recorded call's customer leg into a call (JSON: call, recording)
- ``POST /hangup``           a party hangs up: the call ends as completed (JSON: call, leg)
- ``GET /events/{call}``     Server-Sent Events: the call's transcript, suggestions, context…
                             (numbered: ``Last-Event-ID`` or ``?after=N`` resumes); the
                             customer's token reads only the transcript and the call's state
- ``GET /calls``             the calls this server knows, with their legs' states (agent only)
A wrong or missing token gets 403 and nothing else. Bad input gets a 4xx with a short JSON
``{"error": …}`` (web_input.py), and one client address holds only so many requests and event
streams at once (client_limits.py, then 429).
"""

from __future__ import annotations

import asyncio
import html
import json
import logging
import secrets
from importlib import resources

from aiohttp import web
from aiortc import RTCSessionDescription

from .access import AGENT_COOKIE, Access, Forbidden, Role, call_cookie, may_read
from .call import Call, CallClosed
from .center import CallCenter
from .deadline import keep_until_done
from .events import AudioLevel, CallSummary, Event, to_json
from .journal import Journal
from .recordings import list_recordings, load_recording
from .rtc.peer import SignalingError
from .assets import esm
from .client_limits import MAX_REQUESTS, MAX_STREAMS, ClientLimits
from .web_input import (MAX_BODY, bad, json_object, parse_json, read_body, refusal, short_errors,
                        shown)

log = logging.getLogger(__name__)
ROLE = web.RequestKey("role", str)  # what the request's token allows (access.py)
SSE_HEARTBEAT_S = 15.0


def _page(name: str) -> str:
    return resources.files("callkit").joinpath("pages", name).read_text()


class CallServer:
    def __init__(self, center: CallCenter, *, host: str = "127.0.0.1", port: int = 0,
                 token: str | None = None, max_requests_per_client: int = MAX_REQUESTS,
                 max_streams_per_client: int = MAX_STREAMS):
        self.center = center
        self.host = host
        self.port = port
        self.access = Access(token or secrets.token_urlsafe(16))
        self.token = self.access.agent_token  # the agent's: everything on every call
        self.limits = ClientLimits(max_requests=max_requests_per_client,
                                   max_streams=max_streams_per_client,
                                   is_stream=lambda request: request.path.startswith("/events/"))
        self._runner: web.AppRunner | None = None
        self._closing = asyncio.Event()  # ends the open event streams

    # lifecycle ---------------------------------------------------------------------------
    async def start(self) -> "CallServer":
        # Outermost first: short answers for every refusal, the per-client bounds (before
        # the token: a flood without one is bounded too), then the token.
        app = web.Application(client_max_size=MAX_BODY, middlewares=[
            short_errors, self.limits.middleware, self._require_token])
        app.router.add_get("/", self._customer_page)
        app.router.add_post("/offer", self._offer)
        app.router.add_post("/play", self._play)
        app.router.add_post("/hangup", self._hangup)
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
        """The caller's link: it joins this call's customer leg and reads its transcript."""
        call_id = call if isinstance(call, str) else call.call_id
        return f"{self.url}/?token={self.access.customer_token(call_id)}&call={call_id}"

    def agent_url(self, call: Call | str) -> str:
        """The agent's line in a browser page (the agent's token: keep it to yourself)."""
        call_id = call if isinstance(call, str) else call.call_id
        return f"{self.url}/?token={self.token}&call={call_id}&leg=agent"

    # handlers ----------------------------------------------------------------------------
    @web.middleware
    async def _require_token(self, request: web.Request, handler):
        call_id = request.match_info.get("call_id") or request.query.get("call")
        unread: web.HTTPException | None = None  # a body too big: said after the token
        if request.method == "POST" and call_id is None:
            try:
                body = parse_json(await read_body(request))
                call_id = body.get("call") if isinstance(body, dict) else None
            except ValueError:
                call_id = None  # the handler says what is wrong, to a valid token
            except web.HTTPException as exc:
                unread = exc
        given = {request.query.get("token", ""), request.headers.get("X-Callkit-Token", ""),
                 request.cookies.get(AGENT_COOKIE, "")}
        if isinstance(call_id, str):
            given.add(request.cookies.get(call_cookie(call_id), ""))
        try:
            request[ROLE] = self.access.role(given, call_id)
        except Forbidden as exc:
            return web.json_response({"error": str(exc)}, status=403)  # no more said
        if unread is not None:
            raise unread
        return await handler(request)

    def _call(self, call_id: object) -> Call:
        if not call_id or not isinstance(call_id, str):
            raise bad("'call' must be a call id")
        try:
            return self.center.get(call_id)
        except LookupError:
            raise refusal(404, f"no call {shown(call_id)}") from None

    async def _customer_page(self, request: web.Request) -> web.Response:
        call = self._call(request.query.get("call"))
        role: Role = request[ROLE]
        if request.query.get("leg", "customer") != "customer":
            _only_agent(role, "take the agent leg")
        data = {"recordings": list_recordings(), "personas": await self._personas()}
        page = (_page("customer.html")
                .replace("__DATA__", html.escape(json.dumps(data), quote=True))
                .replace("/*__LEG_CLIENT__*/", esm("levels.js", "leg_client.js")))
        response = web.Response(text=page, content_type="text/html",
                                headers={"Cache-Control": "no-store"})
        token = request.query.get("token")
        if token:  # moved into a cookie: the page then drops it from its address
            response.set_cookie(AGENT_COOKIE if role == "agent" else call_cookie(call.call_id),
                                token, httponly=True, samesite="Strict", path="/")
        return response

    async def _personas(self) -> list[dict]:
        """Who the simulated caller can be: the seeded customers' names and numbers."""
        def read(con):
            return [{"name": n, "phone": p} for n, p in con.execute(
                "SELECT name, phone FROM customers WHERE phone IS NOT NULL ORDER BY id "
                "LIMIT 100").fetchall()]  # the seed's demo personas come first
        return await self.center.db.run(read)

    async def _offer(self, request: web.Request) -> web.Response:
        body = await json_object(request)
        call = self._call(body.get("call"))
        sdp, kind, leg = body.get("sdp"), body.get("type", "offer"), body.get("leg", "customer")
        if not isinstance(sdp, str) or not sdp.strip():
            raise bad("'sdp' must be the offer's SDP text")
        if kind != "offer":
            raise bad(f"'type' must be 'offer', not {shown(kind)}")
        if leg != "customer":
            _only_agent(request[ROLE], "take the agent leg")
        caller = body.get("caller")
        try:
            if caller and leg == "customer":
                call.caller_id(str(caller))
            answer = await call.answer(leg, RTCSessionDescription(sdp=sdp, type=kind),
                                       rejoin=bool(body.get("rejoin")))
        except (SignalingError, ValueError) as exc:
            raise bad(str(exc)) from None
        except CallClosed as exc:
            raise refusal(409, str(exc)) from None
        return web.json_response({"sdp": answer.sdp, "type": answer.type,
                                  "call": call.call_id})

    async def _play(self, request: web.Request) -> web.Response:
        body = await json_object(request)
        call = self._call(body.get("call"))
        name = body.get("recording")
        if name not in list_recordings():
            raise bad(f"unknown recording {shown(name)}; known: {', '.join(list_recordings())}")
        try:
            track = await call.play("customer", load_recording(name).legs["customer"])
        except (CallClosed, ValueError) as exc:
            raise refusal(409, str(exc)) from None
        return web.json_response({"call": call.call_id, "duration_s": track.duration_s})

    async def _hangup(self, request: web.Request) -> web.Response:
        body = await json_object(request)
        call = self._call(body.get("call"))
        leg = body.get("leg", request[ROLE])
        if leg != "customer":
            _only_agent(request[ROLE], "end the call for the agent")
        if leg not in ("customer", "agent"):
            raise bad(f"unknown leg {shown(leg)}: use 'customer' or 'agent'")
        # Ending takes a few seconds (the last words, the summary). A page that goes away
        # meanwhile must not cut that short, so the ending is not this request's to cancel.
        ending = asyncio.ensure_future(call.hang_up(leg))
        keep_until_done(ending)
        await asyncio.shield(ending)
        return web.json_response({"call": call.call_id, "status": call.status})

    async def _calls(self, request: web.Request) -> web.Response:
        _only_agent(request[ROLE], "list the calls")
        return web.json_response([{"call": c.call_id, "title": c.title, "status": c.status,
                                   "legs": c.legs} for c in self.center.calls.values()])

    async def _events(self, request: web.Request) -> web.StreamResponse:
        """The seed's SSE pattern: one ``data:`` line of JSON per event, as it happens.

        Each event's SSE ``id`` is its number in the call's journal. A client that reconnects
        (EventSource does so by itself and sends ``Last-Event-ID``), or asks ``?after=N``, gets
        what it missed and nothing twice; a new client first gets the call so far.
        """
        call = self._call(request.match_info["call_id"])
        role: Role = request[ROLE]
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
                    if isinstance(event, CallSummary) and role != "agent":
                        return response  # the last event of a call, and not the caller's
                    if (catching_up and isinstance(event, AudioLevel)) or not may_read(role, event):
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
        raise bad(f"Last-Event-ID / after must be an event number, not {shown(raw)}") from None


def _payload(event: Event) -> dict:
    if isinstance(event, AudioLevel):
        return {"type": "AudioLevel", "leg": event.leg, "rms": event.rms, "peak": event.peak,
                "t": event.t}
    return to_json(event)


def _only_agent(role: Role, what: str) -> None:
    if role != "agent":
        raise refusal(403, f"only the agent can {what}")
