"""Who may do what on the call server: the agent's token, a call's customer token, none, a
wrong one, and the cookie a page gets instead of keeping its token in the address (issue 11)."""

import asyncio
import json

import aiohttp
import numpy as np
import pytest
import pytest_asyncio

from callkit.center import CallCenter
from callkit.events import CallEnded, CustomerContext, SuggestionDone, TranscriptFinal
from callkit.rtc.peer import SendingPeer
from callkit.rtc.sources import RecordedTrack
from callkit.server import CallServer
from tests.integration.test_live_legs import sse_events
from tests.test_call_end import NoSpeechRecognizer

pytestmark = pytest.mark.integration


async def status(session, method, url, token=None, **kwargs):
    params = {"token": token} if token else {}
    async with session.request(method, url, params=params, **kwargs) as resp:
        return resp.status


async def an_offer():
    peer = SendingPeer(RecordedTrack(np.zeros(960, np.int16)))  # only its offer is used
    return peer, (await peer.offer()).sdp


@pytest_asyncio.fixture
async def served(settings):
    async with CallCenter(settings, recognizer=NoSpeechRecognizer()) as center, \
            CallServer(center) as server, aiohttp.ClientSession() as session:
        yield center, server, session


async def test_each_route_with_each_kind_of_token(no_leaks, served):
    center, server, session = served
    call, other = center.start_call(title="mine"), center.start_call(title="someone else's")
    customer, agent = server.access.customer_token(call.call_id), server.token
    url = server.url
    for token, expected in ((None, 403), ("wrong", 403),
                            (server.access.customer_token(other.call_id), 403),
                            (customer, 200), (agent, 200)):
        assert await status(session, "GET", f"{url}/?call={call.call_id}", token) == expected
    assert await status(session, "GET", f"{url}/?call={call.call_id}&leg=agent", customer) == 403
    assert await status(session, "GET", f"{url}/calls", customer) == 403
    assert await status(session, "GET", f"{url}/calls", agent) == 200
    assert await status(session, "GET", f"{url}/events/{other.call_id}", customer) == 403

    peer, sdp = await an_offer()
    try:
        offer = {"call": call.call_id, "sdp": sdp, "type": "offer"}
        assert await status(session, "POST", f"{url}/offer", customer,
                            json=offer | {"leg": "agent"}) == 403
        assert await status(session, "POST", f"{url}/offer", None, json=offer) == 403
        # Bad input is a 400 to a valid token, never a 500.
        assert await status(session, "POST", f"{url}/offer", agent,
                            json=offer | {"type": "answer"}) == 400
        assert await status(session, "POST", f"{url}/offer", agent,
                            json=offer | {"call": ["not", "an", "id"]}) == 400
        assert await status(session, "POST", f"{url}/offer", agent,
                            json=offer | {"caller": "12"}) == 400
        assert await status(session, "POST", f"{url}/offer", customer, json=offer) == 200
    finally:
        await peer.close()
    assert await status(session, "POST", f"{url}/hangup", customer,
                        json={"call": call.call_id, "leg": "agent"}) == 403
    assert call.status == "active"


async def test_the_customer_reads_only_what_was_said(no_leaks, served):
    center, server, session = served
    call = center.start_call(title="sse")
    call.bus.publish(TranscriptFinal(call_id=call.call_id, leg="customer", text="hello", start=0,
                                     end=1))
    call.bus.publish(CustomerContext(call_id=call.call_id, customer={"id": 1, "name": "Sarah"}))
    call.bus.publish(SuggestionDone(call_id=call.call_id, suggestion_id="s1", kind="info",
                                    priority="normal", topic="identity", message="secret"))
    await call.bus.drain()
    ending = asyncio.ensure_future(call.end())

    async def kinds(token):
        async with session.get(f"{server.url}/events/{call.call_id}",
                               params={"token": token}) as resp:
            return [event["type"] async for _, event in sse_events(resp)]

    await ending
    as_customer = await kinds(server.access.customer_token(call.call_id))
    as_agent = await kinds(server.token)
    assert "TranscriptFinal" in as_customer and "CallEnded" in as_customer
    assert not {"CustomerContext", "SuggestionDone", "CallSummary", "ToolCall"} & set(as_customer)
    assert {"CustomerContext", "SuggestionDone", "CallSummary"} <= set(as_agent)


async def test_the_page_moves_its_token_into_a_cookie(no_leaks, served):
    center, server, session = served
    call, other = center.start_call(title="cookie"), center.start_call(title="other")
    jar = aiohttp.CookieJar(unsafe=True)  # 127.0.0.1 is an IP address
    async with aiohttp.ClientSession(cookie_jar=jar) as browser:
        async with browser.get(server.customer_url(call)) as resp:
            assert resp.status == 200
            cookie = resp.cookies[f"callkit-{call.call_id}"]
            assert cookie["httponly"] and cookie["samesite"] == "Strict"
            page = await resp.text()
        assert "history.replaceState" in page
        # Later requests carry no token, only the cookie; it is good for this call only.
        async with browser.get(f"{server.url}/events/{call.call_id}?after=999") as resp:
            assert resp.status == 200
        async with browser.get(f"{server.url}/events/{other.call_id}") as resp:
            assert resp.status == 403
        async with browser.get(f"{server.url}/calls") as resp:
            assert resp.status == 403
        async with browser.post(f"{server.url}/hangup", json={"call": call.call_id}) as resp:
            assert resp.status == 200, await resp.text()
            assert (await resp.json())["status"] == "ended"
    ended = [e for _, e in call.journal.since(0) if isinstance(e, CallEnded)]
    assert ended[0].status == "completed" and ended[0].reason == "customer hung up"
    assert json.loads(page.split('data-callkit="')[1].split('"')[0].replace("&quot;", '"'))[
        "personas"], "the page offers no one to call as"
