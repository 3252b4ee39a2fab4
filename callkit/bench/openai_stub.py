"""A real HTTP server on 127.0.0.1 that speaks the OpenAI chat-completions protocol.

Responses are scripted (a queue of scenarios, or a default answer); the client, the HTTP and
the SSE framing are real. Requests must carry the server's bearer token. Used by the tests of
the OpenAI engine and by ``callkit bench assistant``, so neither needs a network or a key.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from dataclasses import dataclass, field

from aiohttp import web


# How a streamed response ends: "done" as the protocol says (``data: [DONE]``); "eof" cut
# short but closed cleanly (no [DONE]); "reset" the connection dropped mid-stream.
ENDINGS = ("done", "eof", "reset")


@dataclass
class Scenario:
    chunks: list = field(default_factory=list)  # dicts (sent as JSON) or raw str lines
    delay_s: float = 0.0                        # before the first byte
    message: dict | None = None                 # for non-streamed requests
    status: int = 200                           # an error status (429, 500) answers at once
    ending: str = "done"                        # one of ENDINGS


def content_chunks(text: str, size: int = 7) -> list[dict]:
    return [{"choices": [{"index": 0, "delta": {"content": text[i:i + size]}}]}
            for i in range(0, len(text), size)]


def tool_call_chunks(call_id: str, name: str, arguments: str, index: int = 0) -> list[dict]:
    first = {"choices": [{"index": 0, "delta": {"tool_calls": [{
        "index": index, "id": call_id, "type": "function",
        "function": {"name": name, "arguments": ""}}]}}]}
    rest = [{"choices": [{"index": 0, "delta": {"tool_calls": [{
        "index": index, "function": {"arguments": arguments[i:i + 5]}}]}}]}
        for i in range(0, len(arguments), 5)]
    return [first, *rest]


class FakeOpenAIServer:
    def __init__(self, cycle: list[Scenario] | None = None) -> None:
        self.token = secrets.token_hex(8)
        self.scenarios: list[Scenario] = []  # served first, once each
        # Then these, round and round (default: the model has nothing to add).
        self.cycle = cycle or [Scenario(chunks=content_chunks('{"type": "none"}'))]
        self._served = 0
        self.requests: list[dict] = []
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    async def start(self) -> "FakeOpenAIServer":
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._completions)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # noqa: SLF001 (aiohttp has no API)
        self.base_url = f"http://127.0.0.1:{port}/v1"
        return self

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _completions(self, request: web.Request) -> web.StreamResponse:
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return web.json_response({"error": {"message": "bad key"}}, status=401)
        body = await request.json()
        self.requests.append(body)
        if self.scenarios:
            scenario = self.scenarios.pop(0)
        else:
            scenario = self.cycle[self._served % len(self.cycle)]
            self._served += 1
        await asyncio.sleep(scenario.delay_s)
        if scenario.status != 200:
            return web.json_response({"error": {"message": f"scripted {scenario.status}",
                                                "type": "server_error"}},
                                     status=scenario.status)
        if not body.get("stream"):
            return web.json_response({
                "id": "x", "object": "chat.completion", "created": 0, "model": body["model"],
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": scenario.message or {"role": "assistant", "content": ""}}]})
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        for chunk in scenario.chunks:
            if isinstance(chunk, str):
                line = chunk
            else:
                line = json.dumps({"id": "x", "object": "chat.completion.chunk", "created": 0,
                                   "model": body["model"], **chunk})
            await response.write(f"data: {line}\n\n".encode())
            await asyncio.sleep(0)
        if scenario.ending == "reset":
            request.transport.abort()  # no terminating chunk: the client sees a broken body
            return response
        if scenario.ending == "done":
            await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        return response
