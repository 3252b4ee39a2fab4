"""Peer connections: the kernel side that receives a leg, and a local sender for replay.

A leg is one RTCPeerConnection carrying one speaker's audio to the kernel. aiortc does not
trickle ICE: a description is only complete once gathering has finished, which
``setLocalDescription`` waits for, so offers and answers are exchanged whole.
"""

from __future__ import annotations

import asyncio

from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamTrack

from .ice import loopback_only


class SignalingError(ValueError):
    """An offer that cannot be answered: malformed, or without audio."""


class ReceivingPeer:
    """The kernel's end of one leg: answers an offer and hands over the caller's audio track."""

    def __init__(self, *, loopback: bool = False):
        self.loopback = loopback
        self.pc = RTCPeerConnection()
        self._track: asyncio.Future[MediaStreamTrack] = asyncio.get_running_loop().create_future()

        @self.pc.on("track")
        def _on_track(track: MediaStreamTrack) -> None:
            if track.kind == "audio" and not self._track.done():
                self._track.set_result(track)

    async def answer(self, offer: RTCSessionDescription) -> RTCSessionDescription:
        if offer.type != "offer":
            raise SignalingError(f"expected an offer, got {offer.type!r}")
        if "m=audio" not in offer.sdp:
            raise SignalingError("the offer has no audio")
        with loopback_only(self.loopback):
            try:
                await self.pc.setRemoteDescription(offer)
            except ValueError as exc:
                raise SignalingError(f"malformed offer: {exc}") from exc
            await self.pc.setLocalDescription(await self.pc.createAnswer())
        return self.pc.localDescription

    async def track(self, timeout: float = 10.0) -> MediaStreamTrack:
        return await asyncio.wait_for(asyncio.shield(self._track), timeout)

    async def close(self) -> None:
        if not self._track.done():
            self._track.cancel()
        await self.pc.close()


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
        await self.pc.close()


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
