"""Peer connections over loopback, the loopback-only ICE switch, and bad offers."""

import asyncio
import re

import aioice.ice
import numpy as np
import pytest
from aiortc import RTCSessionDescription

from callkit.rtc.ice import loopback_only
from callkit.rtc.peer import ReceivingPeer, SendingPeer, SignalingError, connect_loopback
from callkit.rtc.sources import RATE, RecordedTrack

pytestmark = pytest.mark.integration


def candidate_addresses(sdp: str) -> set[str]:
    return {m.group(1) for m in re.finditer(r"a=candidate:\S+ \d+ \S+ \d+ (\S+) \d+", sdp)}


def test_loopback_only_is_scoped_to_its_block():
    with loopback_only():
        assert aioice.ice.get_host_addresses(True, True) == ["127.0.0.1"]
        with loopback_only(False):
            assert "127.0.0.1" not in aioice.ice.get_host_addresses(True, False)
    assert "127.0.0.1" not in aioice.ice.get_host_addresses(True, False)


async def test_a_loopback_offer_carries_only_127_0_0_1():
    sender = SendingPeer(RecordedTrack(np.zeros(RATE, dtype=np.int16)), loopback=True)
    try:
        offer = await sender.offer()
    finally:
        await sender.close()
    assert candidate_addresses(offer.sdp) == {"127.0.0.1"}


async def test_two_peers_connect_and_audio_flows_then_both_close():
    tone = (8000 * np.sin(np.arange(RATE) / 10)).astype(np.int16)
    sender, receiver = await connect_loopback(RecordedTrack(tone))
    try:
        track = await receiver.track()
        await receiver.connected()
        frame = await asyncio.wait_for(track.recv(), 5)
        assert frame.sample_rate == 48000 and frame.samples == 960
    finally:
        await sender.close()
        await receiver.close()
    assert sender.pc.connectionState == receiver.pc.connectionState == "closed"


@pytest.mark.parametrize("sdp, kind, message", [
    ("v=0\r\n", "offer", "no audio"),
    ("m=audio 9 nonsense\r\n", "offer", "malformed offer"),
    ("m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n", "answer", "expected an offer"),
])
async def test_bad_offers_are_refused_with_a_reason(sdp, kind, message):
    peer = ReceivingPeer(loopback=True)
    try:
        with pytest.raises(SignalingError, match=message):
            await peer.answer(RTCSessionDescription(sdp=sdp, type=kind))
    finally:
        await peer.close()


async def test_a_peer_that_never_connects_times_out():
    peer = ReceivingPeer(loopback=True)
    try:
        with pytest.raises(ConnectionError, match="did not connect"):
            await peer.connected(timeout=0.2)
        with pytest.raises(asyncio.TimeoutError):
            await peer.track(timeout=0.1)
    finally:
        await peer.close()
