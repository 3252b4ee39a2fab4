"""Voice both ways through the kernel: two real aiortc parties on one call (issue 11)."""

import asyncio

import numpy as np
import pytest

from callkit.bench.relay_bench import MATCH, Party, delays
from callkit.center import CallCenter
from callkit.recordings import load_recording
from callkit.rtc.sources import RATE, RecordedTrack, read_audio
from tests.waiting import until

pytestmark = pytest.mark.integration
SECONDS = 8.0


def voices():
    """The customer's and the agent's first turns of a recorded call, to play at once."""
    recording = load_recording("sarah_order")
    agent_from = int(recording.turns[1]["start_s"] * RATE)
    return (read_audio(recording.legs["customer"])[: int(SECONDS * RATE)],
            read_audio(recording.legs["agent"])[agent_from: agent_from + int(SECONDS * RATE)])


def matches(party_sent: Party, party_heard: Party) -> list[tuple[float, float]]:
    received, arrivals = party_heard.received()
    return delays(party_sent.track.samples, party_sent.track.started_at, received, arrivals)


async def test_each_party_hears_the_other_and_never_itself(settings, no_leaks):
    customer_voice, agent_voice = voices()
    async with CallCenter(settings) as center:
        call = center.start_call(title="two parties")
        customer, agent = Party(RecordedTrack(customer_voice)), Party(RecordedTrack(agent_voice))
        try:
            await customer.join(call, "customer")
            await agent.join(call, "agent")
            await until(lambda: customer.track.finished.is_set() and agent.track.finished.is_set(),
                        "both voices played")
            await asyncio.sleep(0.5)  # the last frames on their way
            to_agent, to_customer = matches(customer, agent), matches(agent, customer)
            echo = delays(customer.track.samples, customer.track.started_at, *customer.received())
        finally:
            await asyncio.gather(customer.close(), agent.close())
            await call.end()
    heard_by_agent = [d for d, m in to_agent if m > MATCH]
    heard_by_customer = [d for d, m in to_customer if m > MATCH]
    assert len(heard_by_agent) >= 4, f"the agent did not hear the customer: {to_agent}"
    assert len(heard_by_customer) >= 4, f"the customer did not hear the agent: {to_customer}"
    assert all(m < MATCH for _, m in echo), f"the customer heard itself: {echo}"
    print(f"\nmouth-to-ear customer→agent median {np.median(heard_by_agent) * 1000:.0f} ms, "
          f"agent→customer median {np.median(heard_by_customer) * 1000:.0f} ms")


async def test_a_muted_leg_sends_silence_to_the_other_side(settings, no_leaks):
    customer_voice, _ = voices()
    async with CallCenter(settings) as center:
        call = center.start_call(title="mute")
        customer, agent = Party(RecordedTrack(customer_voice)), Party(RecordedTrack(
            np.zeros(len(customer_voice), np.int16)))
        try:
            await customer.join(call, "customer")
            await agent.join(call, "agent")
            await until(lambda: call.heard_s("customer") > 1.0, "the customer's first second")
            call.set_muted("customer", True)
            muted_from = len(agent.received()[0]) + int(0.3 * RATE)  # frames already on their way
            await until(lambda: customer.track.finished.is_set(), "the voice played")
            heard, _ = agent.received()
        finally:
            await asyncio.gather(customer.close(), agent.close())
            await call.end()
    before, after = heard[:muted_from], heard[muted_from:]
    assert np.abs(before.astype(np.int32)).max() > 1000, "the agent heard nothing before the mute"
    assert len(after) > RATE and np.abs(after.astype(np.int32)).max() < 50, \
        "the agent still heard the muted customer"


async def test_a_recorded_customer_is_heard_by_a_live_agent(settings, no_leaks):
    recording = load_recording("sarah_order")
    async with CallCenter(settings) as center:
        call = center.start_call(title="recorded customer, live agent")
        agent = Party(RecordedTrack(np.zeros(int(SECONDS * RATE), np.int16)))
        try:
            await agent.join(call, "agent")
            track = await call.play("customer", recording.legs["customer"])
            await asyncio.sleep(SECONDS)
            received, arrivals = agent.received()
            found = delays(track.samples[: int(SECONDS * RATE)], track.started_at, received,
                           arrivals)
            track.stop()
        finally:
            await agent.close()
            await call.end()
    assert sum(m > MATCH for _, m in found) >= 4, f"the agent did not hear the recording: {found}"
