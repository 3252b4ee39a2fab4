"""Bad input on every route of the call server: a short 4xx, never a 500 or a traceback, and
never an unbounded read (issue 15). The server is the real one, on 127.0.0.1, with a token."""

import gzip
import json
import logging
import re

import aiohttp
import pytest

from tests.integration.test_roles import an_offer, served  # noqa: F401 (a fixture)

pytestmark = pytest.mark.integration
JSON = {"Content-Type": "application/json"}
NOT_AUDIO_OFFERS = {
    "video only": "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
                  "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\n",
    "no media at all": "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n",
    "audio only in a comment": "v=0\r\na=note:m=audio 9\r\nm=video 9 RTP/AVP 0\r\n",
}


def garbled(sdp: str) -> dict[str, str]:
    """A real offer, broken the ways aiortc's parser trips over."""
    lines = sdp.split("\r\n")
    return {
        "not SDP at all": "hello, I am an offer",
        "media line cut short": "v=0\r\nm=audio 9 nonsense\r\n",
        "no ICE credentials": "\r\n".join(l for l in lines if not l.startswith("a=ice-")),
        "no fingerprint": "\r\n".join(l for l in lines if not l.startswith("a=fingerprint")),
        "binary junk": "m=audio 9 \x00\x01\x02\ufffd\r\n" * 50,
        "an audio line with no codec": re.sub(r"(m=audio \d+ \S+)[ \d]*", r"\1", sdp),
        "audio disabled (port 0)": re.sub(r"m=audio \d+", "m=audio 0", sdp),
    }


async def answer_of(session, url, method, path, token, **kwargs):
    headers = {"X-Callkit-Token": token, **kwargs.pop("headers", {})}
    async with session.request(method, url + path, headers=headers, **kwargs) as resp:
        return resp.status, await resp.read()


def assert_refused(status, body, expected):
    assert status == expected, body[:300]
    assert len(body) < 400  # short: no echo of what was sent, no traceback
    assert "error" in json.loads(body)
    assert b"Traceback" not in body


async def test_offers_that_cannot_carry_a_call_are_refused_with_a_reason(no_leaks, served):
    center, server, session = served
    call = center.start_call()
    peer, real = await an_offer()
    await peer.close()
    offers = {**{k: (v, "no audio") for k, v in NOT_AUDIO_OFFERS.items()},
              **{k: (v, "malformed offer|no audio") for k, v in garbled(real).items()}}
    for what, (sdp, reason) in offers.items():
        status, body = await answer_of(session, server.url, "POST", "/offer", server.token,
                                       json={"call": call.call_id, "sdp": sdp})
        assert_refused(status, body, 400)
        assert any(r in json.loads(body)["error"] for r in reason.split("|")), (what, body)
    assert call.legs == {} and call.status == "active"  # nothing half-joined


async def test_every_route_answers_bad_bodies_with_a_short_4xx(no_leaks, served, caplog):
    center, server, session = served
    call = center.start_call()
    url, token = server.url, server.token
    wrong_leg = json.dumps({"call": call.call_id, "leg": "nobody"}).encode()
    deep = b"[" * 100_000 + b"]" * 100_000  # under the size limit, deeper than json can go
    bodies = [  # (body, headers, expected)
        (b"", JSON, 400),
        (b"\xff\xfe\x00\x01binary", JSON, 400),
        (deep, JSON, 400),
        (b'"a JSON string"', JSON, 400),
        (b"[1, 2]", JSON, 400),
        (b"x" * 300_000, JSON, 413),
        (gzip.compress(b" " * 20_000_000), {**JSON, "Content-Encoding": "gzip"}, 413),
        # Read as UTF-8 whatever the charset says (JSON is), then refused for its "leg".
        (wrong_leg, {"Content-Type": "application/json; charset=bogus"}, 400),
        (wrong_leg, {"Content-Type": "text/plain"}, 415),
        (b"call=x&sdp=y", {"Content-Type": "application/x-www-form-urlencoded"}, 415),
    ]
    caplog.set_level(logging.ERROR)
    for path in ("/offer", "/play", "/hangup"):
        for body, headers, expected in bodies:
            status, answer = await answer_of(session, url, "POST", path, token, data=body,
                                             headers=headers)
            assert_refused(status, answer, expected)
        for value in ({"call": ["a", "list"]}, {"call": "x" * 10_000}, {"call": call.call_id,
                      "leg": {"a": 1}, "recording": [1], "sdp": 5, "type": None}):
            status, answer = await answer_of(session, url, "POST", path, token, json=value)
            assert status in (400, 403, 404), (path, value, answer[:200])
            assert_refused(status, answer, status)
    for path in (f"/events/{call.call_id}?after=" + "9" * 5000, "/events/%00%ff",
                 "/?call=" + "x" * 5000, "/?call=%ff%fe", "/nowhere"):
        status, answer = await answer_of(session, url, "GET", path, token)
        assert 400 <= status < 500
        assert_refused(status, answer, status)
    for method, path in (("PUT", "/offer"), ("DELETE", "/calls"), ("POST", "/calls"),
                         ("GET", "/offer")):
        status, answer = await answer_of(session, url, method, path, token)
        assert_refused(status, answer, 405)
    assert call.status == "active"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text


async def test_a_body_too_big_without_a_token_is_still_403(no_leaks, served):
    center, server, session = served
    call = center.start_call()
    async with session.post(f"{server.url}/offer", data=b"x" * 300_000, headers=JSON) as resp:
        assert resp.status == 403
    async with session.post(f"{server.url}/offer", json={"call": call.call_id},
                            headers={"X-Callkit-Token": "wrong"}) as resp:
        assert resp.status == 403 and await resp.json() == {"error": "a valid token is required"}
