"""Live legs: the customer server over real HTTP, real aiortc peers, SSE, mute, rejoin,
and many calls at once."""

import asyncio
import json

import aiohttp
import duckdb
import numpy as np
import pytest

from callkit.center import CallCenter
from callkit.events import LegConnected, LegDropped, TranscriptFinal
from callkit.recordings import load_recording
from callkit.rtc.peer import SendingPeer
from callkit.rtc.sources import RATE, RecordedTrack, read_audio
from callkit.server import CallServer
from tests.waiting import until

pytestmark = pytest.mark.integration
# aiortc's jitter buffer holds the last few packets (4 x 20 ms) until more arrive; a track
# that ends leaves them there, so "all heard" means all but this much.
HELD_BACK_S = 0.2


async def offer_via_http(session, server, call, track, leg="customer", rejoin=False):
    sender = SendingPeer(track, loopback=True)
    offer = await sender.offer()
    async with session.post(f"{server.url}/offer", params={"token": server.token}, json={
            "call": call.call_id, "leg": leg, "sdp": offer.sdp, "type": offer.type,
            "rejoin": rejoin}) as resp:
        assert resp.status == 200, await resp.text()
        body = await resp.json()
    from aiortc import RTCSessionDescription
    await sender.accept(RTCSessionDescription(sdp=body["sdp"], type=body["type"]))
    return sender


async def sse_events(resp):
    """(id, event) pairs of a Server-Sent Events response, as they arrive."""
    number = None
    async for raw in resp.content:
        line = raw.decode().strip()
        if line.startswith("id: "):
            number = int(line[4:])
        elif line.startswith("data: "):
            yield number, json.loads(line[6:])


async def read_sse(session, server, call, into, last_id=None, stop_after=None):
    headers = {"Last-Event-ID": str(last_id)} if last_id is not None else {}
    async with session.get(f"{server.url}/events/{call.call_id}", headers=headers,
                           params={"token": server.token}) as resp:
        assert resp.headers["Content-Type"].startswith("text/event-stream")
        async for number, event in sse_events(resp):
            into.append(event | {"id": number})
            if len(into) == stop_after:
                return


async def test_customer_joins_over_http_and_sse_follows_the_call(settings, no_leaks):
    customer = read_audio(load_recording("sarah_order").legs["customer"])[: RATE * 9]
    async with CallCenter(settings) as center, CallServer(center) as server:
        call = center.start_call(title="live")
        sse: list[dict] = []
        async with aiohttp.ClientSession() as session:
            reader = asyncio.create_task(read_sse(session, server, call, sse))
            await asyncio.sleep(0.1)
            track = RecordedTrack(customer, speed=2.0)
            sender = await offer_via_http(session, server, call, track)
            await until(lambda: call.heard_s("customer") >= 9 - HELD_BACK_S, "the customer's 9 s")
            await call.end()
            await asyncio.wait_for(reader, 10)
            await sender.close()
    kinds = [e["type"] for e in sse]
    assert "LegConnected" in kinds and "AudioLevel" in kinds
    finals = [e for e in sse if e["type"] == "TranscriptFinal"]
    assert finals and finals[0]["leg"] == "customer" and "78901" in finals[0]["text"]
    assert "CustomerContext" in kinds and "SuggestionToken" in kinds
    assert kinds[-1] == "CallSummary"


async def test_an_event_stream_that_drops_resumes_without_loss_or_repeats(settings, no_leaks):
    async with CallCenter(settings) as center, CallServer(center) as server:
        call = center.start_call()
        first, second, replay = [], [], []
        async with aiohttp.ClientSession() as session:
            track = await call.play("customer", load_recording("sarah_order").legs["customer"],
                                    speed=3.0)
            await read_sse(session, server, call, first, stop_after=40)  # then the tab drops
            await asyncio.sleep(1.5)  # the call goes on meanwhile
            follower = asyncio.create_task(
                read_sse(session, server, call, second, last_id=first[-1]["id"]))
            await track.finished.wait()
            await call.end()
            await asyncio.wait_for(follower, 10)
            # A client that comes after the end gets the whole call, once.
            await read_sse(session, server, call, replay)
            async with session.get(f"{server.url}/events/{call.call_id}",
                                   params={"token": server.token},
                                   headers={"Last-Event-ID": str(replay[-1]["id"])}) as resp:
                assert resp.status == 204  # nothing more: EventSource stops reconnecting
            async with session.get(f"{server.url}/events/{call.call_id}",
                                   params={"token": server.token, "after": "x"}) as resp:
                assert resp.status == 400
    ids = [e["id"] for e in first + second]
    assert ids == sorted(set(ids))  # nothing twice, in order
    assert second[0]["id"] > first[-1]["id"] and second[-1]["type"] == "CallSummary"
    heard = [e["id"] for e in first + second if e["type"] != "AudioLevel"]
    assert heard == [e["id"] for e in replay]  # and nothing lost
    assert {"TranscriptFinal", "SuggestionDone", "CustomerContext"} <= {e["type"] for e in second}


async def test_bad_requests_get_clear_errors(settings, no_leaks):
    async with CallCenter(settings) as center, CallServer(center) as server:
        call = center.start_call()
        async with aiohttp.ClientSession() as s:
            async def post(path, body, token=server.token):
                async with s.post(f"{server.url}{path}", params={"token": token},
                                  json=body) as r:
                    return r.status, (await r.json()).get("error", "")

            assert (await post("/offer", {}, token="nope"))[0] == 403
            async with s.get(f"{server.url}/", params={"call": call.call_id}) as r:
                assert r.status == 403  # no token, no page
            async with s.get(f"{server.url}/", params={"call": call.call_id,
                                                       "token": server.token}) as r:
                assert r.status == 200 and "sarah_order" in await r.text()
            status, error = await post("/offer", {"call": call.call_id, "sdp": "v=0 garbage"})
            assert status == 400 and "no audio" in error
            status, error = await post("/offer", {"call": "missing", "sdp": "x"})
            assert status == 404
            status, error = await post("/offer", {"call": call.call_id, "sdp": "m=audio 9 x"})
            assert status == 400 and "malformed" in error
            status, error = await post("/offer", {"call": call.call_id, "sdp": ""})
            assert status == 400
            status, error = await post("/play", {"call": call.call_id, "recording": "nope"})
            assert status == 400 and "sarah_order" in error
            async with s.post(f"{server.url}/offer", params={"token": server.token},
                              data=b"not json") as r:
                assert r.status == 415  # not sent as application/json
            # A second offer for a connected leg is refused; a rejoin is accepted.
            track = RecordedTrack(np.zeros(RATE * 3, dtype=np.int16))
            sender = await offer_via_http(s, server, call, track)
            await until(lambda: call.legs.get("customer") == "connected", "the leg to connect")
            other = SendingPeer(RecordedTrack(np.zeros(RATE, dtype=np.int16)), loopback=True)
            offer = await other.offer()
            status, error = await post("/offer", {"call": call.call_id, "sdp": offer.sdp})
            assert status == 400 and "already connected" in error
            await other.close()
            await sender.close()
        await call.end()


async def test_mute_stops_audio_reaching_the_transcript(settings, no_leaks):
    events = []
    async with CallCenter(settings) as center:
        call = center.start_call()
        call.subscribe(events.append, TranscriptFinal)
        await call.play("customer", load_recording("john_bill").legs["customer"], speed=3.0)
        # The first turn (0.5-9.6 s) is heard; the customer is quiet until 15.8 s.
        await until(lambda: call.heard_s("customer") >= 11.0, "the first turn")
        call.set_muted("customer", True)
        # Turns two and three (15.8-20.7 s, 27.7-29.6 s) are spoken while muted.
        await until(lambda: call.heard_s("customer") >= 31.0, "turns two and three")
        await call.end()
    texts = [e.text for e in events]
    assert len(texts) == 1 and "account" in texts[0].lower()


async def test_a_leg_that_drops_mid_utterance_rejoins_without_loss_or_repeats(settings, no_leaks):
    rec = load_recording("sarah_order")
    audio = read_audio(rec.legs["customer"])
    turn = rec.turns[2]  # "It was supposed to arrive this week, and I haven't seen it yet."
    cut = int((turn["start_s"] + (turn["end_s"] - turn["start_s"]) / 2) * RATE)
    events = []
    async with CallCenter(settings) as center, CallServer(center) as server:
        call = center.start_call()
        call.subscribe(events.append)
        async with aiohttp.ClientSession() as session:
            first = RecordedTrack(audio[:cut], speed=3.0)
            sender = await offer_via_http(session, server, call, first)
            await until(lambda: call.heard_s("customer") >= cut / RATE - HELD_BACK_S, "the first part")
            await sender.close()  # the tab goes away mid-sentence
            await until(lambda: any(isinstance(e, LegDropped) for e in events), "LegDropped")
            second = RecordedTrack(audio[cut:], speed=3.0)
            sender = await offer_via_http(session, server, call, second, rejoin=True)
            rest_s = (len(audio) - cut) / RATE - HELD_BACK_S
            await until(lambda: sum(isinstance(e, LegConnected) for e in events) == 2,
                        "the leg to rejoin")
            await until(lambda: call.heard_s("customer") >= rest_s, "the rest of the call")
            await sender.close()
        await call.end()
    assert any(isinstance(e, LegDropped) for e in events)
    con = duckdb.connect(str(settings.db_path), read_only=True)
    rows = con.execute("SELECT text, start_s FROM transcripts WHERE call_id = ? ORDER BY start_s",
                       [call.call_id]).fetchall()
    status = con.execute("SELECT status FROM calls WHERE call_id = ?", [call.call_id]).fetchone()
    con.close()
    assert status == ("completed",)
    words = " ".join(t for t, _ in rows).lower()
    for phrase in ("sarah johnson", "supposed to arrive", "seen it yet", "return the",
                   "so much for your help"):
        assert words.count(phrase) == 1, (phrase, rows)
    assert [s for _, s in rows] == sorted(s for _, s in rows)


async def test_a_leg_that_never_returns_abandons_the_call(settings, no_leaks):
    events = []
    # The first sentence (0.5-7.4 s) and some of the silence after it.
    said = read_audio(load_recording("sarah_order").legs["customer"])[: RATE * 9]
    async with CallCenter(settings.replace(rejoin_timeout_s=0.5)) as center, \
            CallServer(center) as server:
        call = center.start_call()
        call.subscribe(events.append)
        async with aiohttp.ClientSession() as session:
            track = RecordedTrack(said, speed=3.0)
            sender = await offer_via_http(session, server, call, track)
            await until(lambda: any(isinstance(e, TranscriptFinal) for e in events),
                        "the first sentence")
            await sender.close()
            await until(lambda: call.status == "ended", "the call to be abandoned")
    con = duckdb.connect(str(settings.db_path), read_only=True)
    status, reason = con.execute("SELECT status, end_reason FROM calls WHERE call_id = ?",
                                 [call.call_id]).fetchone()
    texts = [t for t, in con.execute("SELECT text FROM transcripts WHERE call_id = ?",
                                     [call.call_id]).fetchall()]
    summary = con.execute("SELECT text FROM call_summaries WHERE call_id = ?",
                          [call.call_id]).fetchone()
    con.close()
    assert status == "abandoned" and "did not come back" in reason
    # What was said before the drop is kept, and summarized.
    assert len(texts) == 1 and "78901" in texts[0]
    assert summary is not None and "Sarah Johnson" in summary[0]


async def test_four_calls_at_once_share_one_model_and_stay_isolated(settings, no_leaks):
    names = ["sarah_order", "john_bill", "sarah_order", "john_bill"]
    async with CallCenter(settings.replace(replay_speed=2.0)) as center:
        calls = await asyncio.gather(*(center.replay(n) for n in names))
        recognizers = {id(c.transcriber.recognizer) for c in calls}
    assert len(recognizers) == 1
    con = duckdb.connect(str(settings.db_path), read_only=True)
    for name, call in zip(names, calls):
        customer = con.execute("SELECT cu.name FROM calls c JOIN customers cu ON "
                               "cu.id = c.customer_id WHERE call_id = ?", [call.call_id]).fetchone()
        assert customer == (("Sarah Johnson",) if name == "sarah_order" else ("John Doe",))
        texts = " ".join(t for t, in con.execute(
            "SELECT text FROM transcripts WHERE call_id = ?", [call.call_id]).fetchall()).lower()
        other = "john doe" if name == "sarah_order" else "sarah johnson"
        assert other not in texts
    con.close()


async def test_nothing_of_a_call_keeps_running_after_it_ends(settings, no_leaks):
    def call_work():  # what reads, decodes or transports a call's audio
        kinds = ("LegCapture", "_LegStream", "_Subscriber", "RTC", "Connection", "Protocol")
        return [t for t in asyncio.all_tasks() if not t.done()
                and any(k in t.get_coro().__qualname__ for k in kinds)]

    async with CallCenter(settings) as center, CallServer(center) as server:
        call = center.start_call()
        await call.play("customer", load_recording("sarah_order").legs["customer"], speed=3.0)
        await until(lambda: call.heard_s("customer") >= 6.0, "six seconds of the call")
        assert call_work()
        await call.end()
        # The server is still up, but nothing of the call is left polling or decoding.
        await until(lambda: not call_work(), "the call's tasks to finish", timeout=10)
        assert server.url
