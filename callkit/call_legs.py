"""A call's live legs: answering a WebRTC offer, taking a rejoin, noticing a drop, and a
party hanging up or leaving.

A part of :class:`callkit.call.Call` (kept apart so call.py stays the wiring of stages and
the call's start and end)."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from aiortc import RTCSessionDescription

from .events import Leg, LegDropped, LegEnded
from .rtc.peer import ReceivingPeer, SignalingError
from .rtc.relay import EarTrack

if TYPE_CHECKING:
    from .bus import Bus
    from .config import Settings
    from .rtc.capture import LegCapture

log = logging.getLogger(__name__)


class CallClosed(RuntimeError):
    """The call has ended; it takes no more legs."""


class LiveLegs:
    """Needs the call's ``call_id``, ``status``, ``settings``, ``bus``, its legs' captures,
    peers and ears, ``attach()``, ``clock()``, ``_spawn()`` and ``end()``."""

    call_id: str
    status: str
    settings: "Settings"
    bus: "Bus"
    _captures: "dict[Leg, LegCapture]"
    _leg_peers: dict[Leg, ReceivingPeer]
    _ears: dict[Leg, EarTrack]
    _dropped: set[Leg]
    _peers: list

    async def answer(self, leg: Leg, offer: RTCSessionDescription, *,
                     rejoin: bool = False) -> RTCSessionDescription:
        """Answer a leg's WebRTC offer (browser, customer page, widget).

        An offer for a leg that is still connected is refused unless ``rejoin`` says the
        caller is replacing its own connection (a reload, an ICE restart by a fresh offer).
        """
        if self.status != "active":
            raise CallClosed(f"call {self.call_id} is {self.status}")
        if leg not in ("customer", "agent"):
            raise SignalingError(f"unknown leg {leg!r}: use 'customer' or 'agent'")
        current = self._leg_peers.get(leg)
        if current is not None and current.pc.connectionState == "connected" and not rejoin:
            raise SignalingError(f"the {leg} leg is already connected")
        ear = EarTrack()
        peer = ReceivingPeer(loopback=self.settings.ice == "loopback", sends=ear)
        try:
            answer = await peer.answer(offer)
        except BaseException:
            ear.stop()
            await peer.close()
            raise
        self._spawn(self._connect(leg, peer, ear))
        return answer

    async def _connect(self, leg: Leg, peer: "ReceivingPeer", ear: EarTrack) -> None:
        try:
            track = await peer.track()
            await peer.connected()
        except (asyncio.TimeoutError, ConnectionError, asyncio.CancelledError) as exc:
            ear.stop()
            await peer.close()
            if isinstance(exc, asyncio.CancelledError):
                raise
            log.warning("the %s leg of call %s did not connect: %s", leg, self.call_id, exc)
            return
        if self.status != "active":  # the call ended while this leg was connecting
            ear.stop()
            await peer.close()
            return
        old_ear = self._ears.pop(leg, None)
        if old_ear is not None:
            old_ear.stop()
        self._ears[leg] = ear
        old_capture, old_peer = self._captures.pop(leg, None), self._leg_peers.pop(leg, None)
        if old_capture is not None:
            await old_capture.stop()
        if old_peer is not None:
            await old_peer.close()
        self._leg_peers[leg] = peer
        self._peers.append(peer)
        self.attach(leg, track, offset_s=self.clock())

        @peer.pc.on("connectionstatechange")
        def _state() -> None:
            if peer.pc.connectionState in ("failed", "closed") and \
                    self._leg_peers.get(leg) is peer and self.status == "active":
                self._leg_dropped(leg, peer.pc.connectionState)

    def _leg_dropped(self, leg: Leg, reason: str) -> None:
        if leg in self._dropped:
            return
        self._dropped.add(leg)
        self.bus.publish(LegDropped(call_id=self.call_id, leg=leg, reason=reason))
        self._spawn(self._abandon_unless_rejoined(leg))

    async def _abandon_unless_rejoined(self, leg: Leg) -> None:
        await asyncio.sleep(self.settings.rejoin_timeout_s)
        if leg in self._dropped and self.status == "active":
            await self.end(status="abandoned",
                           reason=f"the {leg}'s connection dropped and did not come back "
                                  f"within {self.settings.rejoin_timeout_s:g} s")

    async def hang_up(self, leg: Leg) -> None:
        """A party hangs up: the call ends as completed (the customer's Hang up, the agent's
        End call). Leaving without hanging up is :meth:`leave`."""
        if leg not in ("customer", "agent"):
            raise ValueError(f"unknown leg {leg!r}: use 'customer' or 'agent'")
        await self.end(status="completed", reason="customer hung up" if leg == "customer"
                       else "agent ended the call")

    async def leave(self, leg: Leg) -> None:
        """Close one leg (its peer and capture) and keep the call; what it said so far is
        flushed. A closed widget or page leaves; it can join again."""
        capture, peer = self._captures.pop(leg, None), self._leg_peers.pop(leg, None)
        ear = self._ears.pop(leg, None)
        if ear is not None:
            ear.stop()
        self._dropped.discard(leg)
        if capture is not None:
            await capture.stop()
            self.bus.publish(LegEnded(call_id=self.call_id, leg=leg))
        if peer is not None:
            await peer.close()
