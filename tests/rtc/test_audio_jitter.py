"""AudioJitterBuffer: every audio packet that arrives is handed on once, in order, at once."""

import random

from aiortc import RTCPeerConnection
from aiortc.jitterbuffer import JitterBuffer
from aiortc.rtp import RtpPacket
from hypothesis import given
from hypothesis import strategies as st

from callkit.rtc import audio_jitter
from callkit.rtc.audio_jitter import REORDER_WAIT, AudioJitterBuffer

SAMPLES = 960  # 20 ms of Opus at 48 kHz


def packet(seq: int) -> RtpPacket:
    p = RtpPacket(payload_type=111, sequence_number=seq % 65536,
                  timestamp=(seq * SAMPLES) % (1 << 32), payload=b"x")
    p._data = seq.to_bytes(8, "big", signed=True)  # what the receiver depayloads; tells the packet
    return p


def feed(arrivals, wait=REORDER_WAIT):
    """Adds packets numbered ``arrivals`` in that order; what was handed on after each add."""
    out = []
    buffer = AudioJitterBuffer(lambda p, frame: out.append(int.from_bytes(frame.data, "big",
                                                                          signed=True)),
                               wait=wait)
    after_each = []
    for seq in arrivals:
        assert buffer.add(packet(seq)) == (False, None)
        after_each.append(list(out))
    return buffer, out, after_each


def lose(seqs, fraction, seed=15):
    rng = random.Random(seed)
    return [s for s in seqs if rng.random() >= fraction]


def test_packets_in_order_go_on_as_they_arrive():
    _, out, after_each = feed(range(50))
    assert out == list(range(50))
    assert [len(o) for o in after_each] == list(range(1, 51))  # none held back


def test_every_packet_that_arrives_is_handed_on_after_losses():
    arrived = lose(range(1000), 0.10)
    buffer, out, _ = feed(arrived)
    assert out[:len(arrived) - REORDER_WAIT] == arrived[:len(arrived) - REORDER_WAIT]
    assert buffer.late == 0
    assert buffer.skipped == arrived[len(out) - 1] + 1 - len(out)


def test_aiortcs_buffer_drops_packets_that_arrived_for_the_same_losses():
    """Why the buffer is replaced (RELIABILITY.md): with prefetch 1, as the kit used it."""
    arrived = lose(range(1000), 0.10)
    buffer, frames = JitterBuffer(capacity=16, prefetch=1), 0
    for seq in arrived:
        frames += buffer.add(packet(seq))[1] is not None
    assert frames < 0.95 * len(arrived)


def test_a_reordered_packet_finds_its_place():
    _, out, after_each = feed([0, 1, 3, 2, 4, 6, 7, 5, 8])
    assert out == list(range(9))
    assert after_each[2] == [0, 1]  # 3 waits for 2


def test_a_hole_is_skipped_once_enough_packets_came_after_it():
    _, out, after_each = feed([0, 2, 3, 4, 5])
    assert after_each[2] == [0]  # two after the hole: still waiting for 1
    assert after_each[3] == [0, 2, 3, 4]  # three: 1 is given up, all held go on together
    assert out == [0, 2, 3, 4, 5]


def test_a_packet_later_than_the_wait_is_dropped_not_handed_on_out_of_order():
    buffer, out, _ = feed([0, 2, 3, 4, 1, 5])
    assert out == [0, 2, 3, 4, 5]
    assert buffer.late == 1


def test_sequence_numbers_wrap():
    arrived = lose(range(65500, 65700), 0.1)
    _, out, _ = feed(arrived)
    assert out == arrived[:len(out)] and len(out) >= len(arrived) - REORDER_WAIT


def test_a_sender_that_restarts_its_count_is_followed():
    _, out, _ = feed([5000, 5001, 5002, 7, 8, 9])
    assert out == [5000, 5001, 5002, 7, 8, 9]


@given(st.lists(st.tuples(st.booleans(), st.integers(0, 2)), min_size=1, max_size=300),
       st.integers(0, 65535))
def test_whatever_arrives_goes_on_in_order_and_once(faults, start):
    """Any losses and any displacement of up to two places: strictly in order, each once,
    and every packet that arrived goes on (but the last few, which wait for a hole)."""
    order = []
    for i, (lost, displace) in enumerate(faults):
        if not lost:
            order.append((i + displace + 0.5 * bool(displace), i))
    arrived = [start + i for _, i in sorted(order)]
    _, out, _ = feed(arrived)
    assert out == sorted(set(out))
    assert set(out) <= set(arrived)
    assert len(out) >= len(arrived) - 2 * REORDER_WAIT


async def test_it_replaces_the_buffer_of_a_real_audio_receiver():
    pc = RTCPeerConnection()
    try:
        transceiver = pc.addTransceiver("audio", direction="recvonly")
        assert isinstance(audio_jitter.install(transceiver.receiver), AudioJitterBuffer)
    finally:
        await pc.close()
