"""A bad network between a test's sending peer and the kernel: packet loss, jitter, reordering.

``tc netem`` would be the usual tool, but this container's kernel has no netem qdisc (``ip
netns`` works, ``tc qdisc add ... netem`` says "Specified qdisc kind is unknown"), and CI's
may not either. So the faults are made where the sending peer hands its encrypted packets to
ICE, i.e. on the wire: the kernel's side (ICE, DTLS, SRTP, jitter buffer, Opus decoder,
capture, VAD, whisper) is untouched and real.
"""

from __future__ import annotations

import asyncio
import random
import struct
from dataclasses import dataclass

from aiortc.rtp import is_rtcp

from callkit.rtc.peer import SendingPeer

RTP_CLOCK = 48000  # Opus


@dataclass(frozen=True)
class Faults:
    start_s: float = 0.0    # audio time (RTP clock) at which the faults begin
    loss: float = 0.0       # chance that a packet is dropped
    reorder: float = 0.0    # chance that a packet is held back behind the next one
    jitter_s: float = 0.0   # each packet leaves up to this much late (later ones queue)
    outage_s: float = 0.0   # every packet dropped for this long from start_s


class LossyLink:
    """Applies :class:`Faults` to the RTP media a :class:`SendingPeer` sends.

    Only RTP media is touched; DTLS, STUN and RTCP pass, so the connection stays up. Random
    choices come from a seeded generator: the same packets are hit on every run."""

    def __init__(self, faults: Faults, seed: int = 15):
        self.faults = faults
        self._random = random.Random(seed)
        self._first_ts: int | None = None
        self._held: bytes | None = None
        self.counts = {"sent": 0, "dropped": 0, "reordered": 0, "delayed": 0}

    def install(self, peer: SendingPeer) -> None:
        ice = peer.pc.getSenders()[0].transport.transport  # RTCDtlsTransport -> RTCIceTransport
        send = ice._send  # the connection's send; aiortc keeps it as an instance attribute

        async def faulty_send(data: bytes) -> None:
            t = self._audio_time(data)
            if t is None or t < self.faults.start_s:
                return await send(data)
            for packet in self._apply(t, data):
                await send(packet)
            if self.faults.jitter_s:  # this one is late, and so is what queues behind it
                self.counts["delayed"] += 1
                await asyncio.sleep(self._random.uniform(0, self.faults.jitter_s))

        ice._send = faulty_send

    def _audio_time(self, data: bytes) -> float | None:
        """Seconds of audio since the first packet (RTP timestamp), or None if not media."""
        if len(data) < 12 or data[0] >> 6 != 2 or is_rtcp(data):
            return None
        timestamp, = struct.unpack("!I", data[4:8])
        if self._first_ts is None:
            self._first_ts = timestamp
        return ((timestamp - self._first_ts) % 2**32) / RTP_CLOCK

    def _apply(self, t: float, data: bytes) -> list[bytes]:
        """The packets that leave now, in order, when ``data`` (at audio time t) is sent."""
        f = self.faults
        self.counts["sent"] += 1
        if t < f.start_s + f.outage_s or self._random.random() < f.loss:
            self.counts["dropped"] += 1
            return []
        held, self._held = self._held, None
        if held is None and self._random.random() < f.reorder:
            self._held = data
            self.counts["reordered"] += 1
            return []
        return [data] if held is None else [data, held]
