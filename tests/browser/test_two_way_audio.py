"""Voice both ways in real browsers (issue 11): the caller's page and the agent's line, each in
its own Chromium with its own WAV microphone, play each other's voice relayed by the kernel;
the caller picked who they are, so the agent's panel knew them before a word was said."""


import pytest

from callkit.center import CallCenter
from callkit.events import CustomerContext, TranscriptFinal
from callkit.recordings import load_recording
from callkit.server import CallServer
from tests.browser.conftest import ARTIFACTS, mic_wav
from tests.browser.test_customer_page import first_turn_wav

pytestmark = pytest.mark.integration
HEARD = "Number(document.querySelector('#heard').dataset.max || 0) > 0.05"


def agent_turn_wav(tmp_path):
    """The agent's first answer of the recorded call, as the agent's microphone."""
    turn = next(t for t in load_recording("sarah_order").turns if t["speaker"] == "agent")
    return mic_wav(tmp_path, "agent", turn["start_s"], turn["end_s"] + 1.0)


async def test_the_caller_and_the_agent_hear_each_other(settings, no_leaks, launch_chromium,
                                                        tmp_path):
    async with CallCenter(settings) as center, CallServer(center) as server:
        call = center.start_call(title="two browsers")
        customer_browser = await launch_chromium(first_turn_wav(tmp_path))
        agent_browser = await launch_chromium(agent_turn_wav(tmp_path))
        customer = await customer_browser.new_page(viewport={"width": 760, "height": 640})
        agent = await agent_browser.new_page(viewport={"width": 760, "height": 640})
        await customer.goto(server.customer_url(call))
        assert "token=" not in customer.url  # moved into a cookie at once
        await customer.select_option("#persona", "(415) 555-0142")
        await agent.goto(server.agent_url(call))
        await agent.click("#mic")
        await agent.wait_for_selector("#state[data-state=connected]", timeout=20000)
        await customer.click("#mic")
        await customer.wait_for_selector("#state[data-state=connected]", timeout=20000)
        # Each page's "what you hear" meter is an AnalyserNode on the remote track.
        await customer.wait_for_function(HEARD, timeout=30000)
        await agent.wait_for_function(HEARD, timeout=30000)
        await customer.screenshot(path=str(ARTIFACTS / "two_way_customer.png"))
        await agent.screenshot(path=str(ARTIFACTS / "two_way_agent.png"))
        await customer.click("#hangup")
        await customer.wait_for_selector("#state[data-state=ended]", timeout=30000)
        await agent.wait_for_selector("#state[data-state=ended]", timeout=30000)
        shown = await agent.inner_text("#error")
        await customer.close()
        await agent.close()
    events = [e for _, e in call.journal.since(0)]
    first_context = next(i for i, e in enumerate(events) if isinstance(e, CustomerContext))
    first_final = next(i for i, e in enumerate(events) if isinstance(e, TranscriptFinal))
    assert events[first_context].customer["name"] == "Sarah Johnson"
    assert first_context < first_final, "the caller ID did not come before the first words"
    assert "customer hung up" in shown
