"""Peer connections: the kernel side that receives a leg, and a local sender for replay.

A leg is one RTCPeerConnection carrying one speaker's audio to the kernel. aiortc does not
trickle ICE: a description is only complete once gathering has finished, which
``setLocalDescription`` waits for, so offers and answers are exchanged whole.
"""

from __future__ import annotations

import asyncio
import logging
import re

from aiortc import RTCPeerConnection, RTCSessionDescription, sdp
from aiortc.mediastreams import MediaStreamTrack

from ..deadline import keep_until_done
from . import audio_jitter
from .ice import loopback_only

log = logging.getLogger(__name__)


class SignalingError(ValueError):
    """An offer that cannot be answered: malformed, or without audio."""


MAX_OFFER = 64 * 1024  # a browser's offer is 3-6 kB
# What aiortc raises on an offer it cannot read: its SDP parser asserts on lines it does not
# understand, and a description missing a line (a mid, a DTLS role) surfaces later, as a
# None where a value was expected, while the answer is built (found by mutating real offers).
MALFORMED = (ValueError, AssertionError, KeyError, IndexError, AttributeError, TypeError)


def check_offer(text: str) -> None:
    """Refuse, before any connection exists, an offer that could never carry a leg: not SDP,
    no audio (video only, or an audio line that is disabled), or audio without the DTLS
    fingerprint its encryption needs (aiortc would answer it, then fail in the background)."""
    if len(text) > MAX_OFFER:
        raise SignalingError(f"the offer is over {MAX_OFFER // 1024} kB")
    if not re.search(r"^m=audio ", text, re.MULTILINE):  # a media line, not a mention
        raise SignalingError("the offer has no audio")
    try:
        description = sdp.SessionDescription.parse(text)
    except MALFORMED as exc:
        raise SignalingError(f"malformed offer: {str(exc) or type(exc).__name__}") from exc
    audio = [m for m in description.media if m.kind == "audio" and m.port != 0]
    if not audio:
        raise SignalingError("the offer has no audio")
    if any(m.dtls is None or not m.dtls.fingerprints for m in audio):
        raise SignalingError("malformed offer: its audio has no DTLS fingerprint")


class ReceivingPeer:
    """The kernel's end of one leg: answers an offer and hands over the caller's audio track.

    ``sends`` is what the leg hears back (the other leg, relayed); it is sent when the offer
    asks to receive audio too (a browser's sendrecv), and ignored for a send-only offer."""

    def __init__(self, *, loopback: bool = False, sends: MediaStreamTrack | None = None):
        self.loopback = loopback
        self.sends = sends
        self.pc = RTCPeerConnection()
        self._track: asyncio.Future[MediaStreamTrack] = asyncio.get_running_loop().create_future()

        @self.pc.on("track")
        def _on_track(track: MediaStreamTrack) -> None:
            if track.kind == "audio" and not self._track.done():
                self._track.set_result(track)

    async def answer(self, offer: RTCSessionDescription) -> RTCSessionDescription:
        if offer.type != "offer":
            raise SignalingError(f"expected an offer, got {offer.type!r}")
        check_offer(offer.sdp)
        with loopback_only(self.loopback):
            try:
                await self.pc.setRemoteDescription(offer)
                if self.sends is not None:
                    self.pc.addTrack(self.sends)
                hear_at_once(self.pc)
                await self.pc.setLocalDescription(await self.pc.createAnswer())
            except MALFORMED as exc:
                raise SignalingError(f"malformed offer: {str(exc) or type(exc).__name__}") from exc
        return self.pc.localDescription

    async def track(self, timeout: float = 10.0) -> MediaStreamTrack:
        async with asyncio.timeout(timeout):  # not wait_for: see deadline.py
            return await asyncio.shield(self._track)

    async def connected(self, timeout: float = 10.0) -> None:
        """Wait until ICE and DTLS are done (the track exists before they are)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.pc.connectionState != "connected":
            if self.pc.connectionState in ("failed", "closed") or loop.time() > deadline:
                raise ConnectionError(f"the leg did not connect ({self.pc.connectionState})")
            await asyncio.sleep(0.02)

    async def close(self) -> None:
        if not self._track.done():
            self._track.cancel()
        await close_pc(self.pc)


class SendingPeer:
    """A local peer that sends one track: the replayed customer or agent of a recorded call."""

    def __init__(self, track: MediaStreamTrack, *, loopback: bool = True):
        self.loopback = loopback
        self.pc = RTCPeerConnection()
        self.pc.addTransceiver(track, direction="sendonly")

    async def offer(self) -> RTCSessionDescription:
        with loopback_only(self.loopback):
            await self.pc.setLocalDescription(await self.pc.createOffer())
        return self.pc.localDescription

    async def accept(self, answer: RTCSessionDescription) -> None:
        await self.pc.setRemoteDescription(answer)

    async def close(self) -> None:
        await close_pc(self.pc)


def hear_at_once(pc: RTCPeerConnection) -> None:
    """Hand on each received audio packet as soon as it is in order, and every one of them.

    aiortc's audio jitter buffer holds 4 packets and releases one only when 4 are queued: a
    fixed 60-80 ms on every hop, and after a lost packet it drops received ones too (see
    :mod:`.audio_jitter`). The kernel relays a leg to the other party, whose own jitter
    buffer (a browser's NetEq) smooths the network anyway, so holding packets here only adds
    delay: with it a voice crossed the kernel in about 0.2 s, without it in 0.1 s
    (``callkit bench audio``). aiortc has no setting for it; its receiver's buffer is
    replaced.
    """
    for transceiver in pc.getTransceivers():
        if transceiver.kind == "audio":
            audio_jitter.install(transceiver.receiver)


async def close_pc(pc: RTCPeerConnection, timeout: float = 3.0) -> None:
    """Close a peer connection without hanging the caller.

    aiortc's close waits for a DTLS handshake that is still under way; when the other side
    vanished mid-handshake that wait lasts until ICE gives up. The connection is marked
    closed at once either way; past ``timeout`` we stop waiting and let aiortc finish alone.
    The close itself is never cancelled, not even when our caller is: a close cut short
    leaves aiortc's "closed" future unresolved, and every later close() waits on it forever.
    """
    closing = asyncio.ensure_future(pc.close())
    keep_until_done(closing)
    done, _ = await asyncio.wait({closing}, timeout=timeout)
    if not done:
        log.warning("peer connection still closing after %.0f s; continuing", timeout)


async def connect_loopback(track: MediaStreamTrack) -> tuple[SendingPeer, ReceivingPeer]:
    """Negotiate a sender of ``track`` with a receiver, both here, over 127.0.0.1."""
    sender = SendingPeer(track, loopback=True)
    receiver = ReceivingPeer(loopback=True)
    try:
        answer = await receiver.answer(await sender.offer())
        await sender.accept(answer)
    except BaseException:
        await asyncio.gather(sender.close(), receiver.close(), return_exceptions=True)
        raise
    return sender, receiver
