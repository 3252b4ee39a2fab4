"""An audio jitter buffer that hands on every packet that arrives, in order, at once.

aiortc's receiver asks its jitter buffer for at most one frame per packet it receives. Its
``JitterBuffer`` keeps a frame until the packet after it arrives, so after one lost packet
it never catches up: it holds packets until its 16 slots overflow, then throws received
ones away to make room, and stays 0.3 s behind. With 10% of packets lost on the way, 2.3
times as much audio never reached the pipeline (RELIABILITY.md). No setting changes that.

For audio each RTP packet is one whole frame (Opus, G.711), so nothing needs assembling:
a packet in order goes on as it arrives, a packet after a hole waits until ``wait`` later
packets have come (a reordered one then still finds its place), and then the hole is
skipped and everything held goes on together. Frames are put on the receiver's decoder
queue directly, since ``add`` may return only one.
"""

from __future__ import annotations

from collections.abc import Callable

from aiortc.jitterbuffer import JitterFrame
from aiortc.rtp import RtpPacket

REORDER_WAIT = 3  # packets (60 ms of Opus) a hole is waited for before it is skipped
# A packet this far behind what was handed on is not late: the sender restarted its count.
MAX_MISORDER = 100
SEQ_MOD = 1 << 16  # RTP sequence numbers are 16-bit and wrap


def seq_distance(seq: int, origin: int) -> int:
    """How far ``seq`` is after ``origin`` (negative: before), across the 16-bit wrap."""
    return (seq - origin + SEQ_MOD // 2) % SEQ_MOD - SEQ_MOD // 2


class AudioJitterBuffer:
    """Orders a leg's audio packets and hands each one on as soon as nothing before it can
    still come; ``deliver(packet, frame)`` receives them in sequence order.

    ``late`` counts packets that came after their place was given up (they are dropped, so
    the audio never goes back in time), ``skipped`` the packets given up for lost.
    """

    def __init__(self, deliver: Callable[[RtpPacket, JitterFrame], None], *,
                 wait: int = REORDER_WAIT):
        self._deliver = deliver
        self._wait = wait
        self._held: dict[int, RtpPacket] = {}
        self._next: int | None = None  # the sequence number to hand on next
        self.late = 0
        self.skipped = 0

    def add(self, packet: RtpPacket) -> tuple[bool, JitterFrame | None]:
        """The receiver's call for each packet. Returns (no picture loss, no frame): the
        frames ready go to ``deliver``."""
        seq = packet.sequence_number
        if self._next is None:
            self._next = seq
        ahead = seq_distance(seq, self._next)
        if ahead < 0:
            if ahead > -MAX_MISORDER:
                self.late += 1
                return False, None
            self._release([self._held.pop(s) for s in
                           sorted(self._held, key=lambda s: seq_distance(s, self._next))])
            self._next = seq
        self._held.setdefault(seq, packet)
        self._release(self._ready())
        return False, None

    def _ready(self) -> list[RtpPacket]:
        """The packets to hand on now, in order; skips holes waited for long enough."""
        ready = []
        while self._held:
            if self._next in self._held:
                ready.append(self._held.pop(self._next))
                self._next = (self._next + 1) % SEQ_MOD
                continue
            waiting = [seq_distance(s, self._next) for s in self._held]
            if max(waiting) < self._wait:
                break
            self.skipped += min(waiting)
            self._next = (self._next + min(waiting)) % SEQ_MOD
        return ready

    def _release(self, packets: list[RtpPacket]) -> None:
        for packet in packets:
            self._deliver(packet, JitterFrame(data=packet._data, timestamp=packet.timestamp))


def install(receiver) -> AudioJitterBuffer | None:
    """Give an aiortc audio receiver an :class:`AudioJitterBuffer`.

    What it replaces and feeds are private parts of aiortc's ``RTCRtpReceiver`` (aiortc is
    pinned); a version without them keeps its own buffer, and None is returned.
    """
    private = "_RTCRtpReceiver__"
    names = ("jitter_buffer", "codecs", "decoder_queue", "decoder_thread", "timestamp_mapper")
    if not all(hasattr(receiver, private + name) for name in names):
        return None

    def part(name: str):
        return getattr(receiver, private + name)

    def decode(packet: RtpPacket, frame: JitterFrame) -> None:
        # What aiortc's receiver does with the one frame its own buffer returns.
        if part("decoder_thread") is None:
            return
        frame.timestamp = part("timestamp_mapper").map(frame.timestamp)
        part("decoder_queue").put((part("codecs")[packet.payload_type], frame))

    buffer = AudioJitterBuffer(decode)
    setattr(receiver, private + "jitter_buffer", buffer)
    return buffer
