"""Who gets in, and how much one client may hold (issue 15): the server listens on 127.0.0.1,
every route wants a token and says no more than 403 without one, and one address holds only so
many requests and event streams at once (then 429)."""

import contextlib

import aiohttp
import pytest

from callkit.center import CallCenter
from callkit.events import TranscriptFinal
from callkit.server import CallServer
from tests.test_call_end import NoSpeechRecognizer
from tests.waiting import until

pytestmark = pytest.mark.integration
ROUTES = [("GET", "/?call={call}"), ("GET", "/calls"), ("GET", "/events/{call}"),
          ("POST", "/offer"), ("POST", "/play"), ("POST", "/hangup"), ("GET", "/nowhere")]


async def test_the_server_listens_on_loopback_and_every_route_wants_a_token(settings, no_leaks):
    async with CallCenter(settings, recognizer=NoSpeechRecognizer()) as center, \
            CallServer(center) as server, aiohttp.ClientSession() as session:
        call = center.start_call()
        assert server.host == "127.0.0.1" and server.url.startswith("http://127.0.0.1:")
        other_call = server.access.customer_token(center.start_call().call_id)
        for method, path in ROUTES:
            url = server.url + path.format(call=call.call_id)
            for token in (None, "", "wrong", server.token[:-1], other_call):
                params = {"token": token} if token is not None else {}
                async with session.request(method, url, params=params,
                                           json={"call": call.call_id}) as resp:
                    assert resp.status == 403, (method, path, token)
                    # Nothing said about why: not which token, not whether the call exists.
                    assert await resp.json() == {"error": "a valid token is required"}
        assert call.status == "active"


@contextlib.asynccontextmanager
async def event_stream(session, server, call):
    async with session.get(f"{server.url}/events/{call.call_id}",
                           params={"token": server.token}) as resp:
        yield resp


async def test_one_address_holds_only_so_many_streams_and_requests(settings, no_leaks):
    async with CallCenter(settings, recognizer=NoSpeechRecognizer()) as center, \
            CallServer(center, max_streams_per_client=2, max_requests_per_client=3) as server, \
            aiohttp.ClientSession() as session:
        call = center.start_call()
        calls_url = f"{server.url}/calls?token={server.token}"
        async with contextlib.AsyncExitStack() as streams:
            for _ in range(2):
                resp = await streams.enter_async_context(event_stream(session, server, call))
                assert resp.status == 200
            async with event_stream(session, server, call) as third:
                assert third.status == 429
                assert await third.json() == {
                    "error": "too many event streams open from this address"}
            async with session.get(calls_url) as resp:  # other routes still answer
                assert resp.status == 200
            # A stream is a request too: with the bound of requests lowered to what is open,
            # the next request of any kind is one too many.
            server.limits.max_requests = 2
            async with session.get(calls_url) as resp:
                assert resp.status == 429
                assert await resp.json() == {
                    "error": "too many requests in progress from this address"}
        # The streams are closed; the server lets go of them on its next write to them.
        call.bus.publish(TranscriptFinal(call_id=call.call_id, leg="customer", text="hello",
                                         start=0, end=1))
        await until(lambda: not server.limits.streams and not server.limits.requests,
                    "the closed streams to be let go")
        async with event_stream(session, server, call) as again, session.get(calls_url) as ok:
            assert again.status == 200 and ok.status == 200
