"""The customer page in real (headless) Chromium, its microphone fed from a WAV file."""


import pytest

from callkit.center import CallCenter
from callkit.events import AudioLevel, LegConnected, TranscriptFinal
from callkit.recordings import load_recording
from callkit.server import CallServer
from tests.browser.conftest import ARTIFACTS, mic_wav

pytestmark = pytest.mark.integration


def first_turn_wav(tmp_path):
    """Sarah's first sentence, with a second and a half of silence after it."""
    return mic_wav(tmp_path, end_s=load_recording("sarah_order").turns[0]["end_s"] + 1.5)


async def test_the_customer_page_streams_the_microphone_into_the_call(
        settings, no_leaks, launch_chromium, tmp_path):
    events = []
    async with CallCenter(settings) as center, CallServer(center) as server:
        call = center.start_call(title="browser")
        call.subscribe(events.append, TranscriptFinal, AudioLevel)
        browser = await launch_chromium(first_turn_wav(tmp_path))
        page = await browser.new_page(viewport={"width": 760, "height": 620})
        await page.goto(server.customer_url(call))
        await page.click("#mic")
        await page.wait_for_selector("#state[data-state=connected]", timeout=15000)
        await page.wait_for_function(
            "Number(document.querySelector('#level').dataset.peak || 0) > 0.05", timeout=10000)
        await page.wait_for_selector(".line.customer:not(.partial)", timeout=30000)
        await page.screenshot(path=str(ARTIFACTS / "customer_page.png"))
        shown = await page.inner_text("#transcript")
        await page.close()
        await call.end()
    finals = [e for e in events if isinstance(e, TranscriptFinal)]
    assert finals and finals[0].leg == "customer"
    assert "sarah johnson" in finals[0].text.lower()
    assert "Sarah Johnson" in shown
    assert max(e.peak for e in events if isinstance(e, AudioLevel)) > 0.1


# Every state the page shows, recorded from the first moment (it may change before load ends).
RECORD_STATES = """
window.__states = [];
new MutationObserver((changes) => changes.forEach((c) => {
  if (c.target.id === "state") window.__states.push(c.target.dataset.state);
})).observe(document, {subtree: true, attributes: true, attributeFilter: ["data-state"]});
"""


async def test_a_reloaded_tab_rejoins_the_same_call(settings, no_leaks, launch_chromium,
                                                    tmp_path):
    events = []
    async with CallCenter(settings) as center, CallServer(center) as server:
        call = center.start_call(title="reload")
        call.subscribe(events.append, TranscriptFinal, LegConnected)
        browser = await launch_chromium(first_turn_wav(tmp_path))
        page = await browser.new_page(viewport={"width": 760, "height": 620})
        await page.add_init_script(RECORD_STATES)
        await page.goto(server.customer_url(call))
        await page.click("#mic")
        await page.wait_for_selector(".line.customer:not(.partial)", timeout=30000)
        await page.reload()  # no click: the tab knows it was on this call
        await page.wait_for_selector("#state[data-state=connected]", timeout=15000)
        states = await page.evaluate("window.__states")
        await page.mouse.click(700, 600)  # the level meter wakes at the first touch
        await page.wait_for_function(
            "Number(document.querySelector('#level').dataset.peak || 0) > 0.05", timeout=10000)
        # The transcript so far comes back, and the call goes on: the microphone is heard
        # again on the same call (the fake device replays its file from the start).
        await page.wait_for_function(
            "document.querySelectorAll('.line.customer:not(.partial)').length >= 2",
            timeout=30000)
        await page.screenshot(path=str(ARTIFACTS / "customer_page_rejoined.png"))
        await page.close()
        await call.end()
    assert states[:2] == ["reconnecting", "connected"], states
    finals = [e for e in events if isinstance(e, TranscriptFinal)]
    assert len(finals) == 2 and all("sarah johnson" in f.text.lower() for f in finals)
    assert finals[1].start > finals[0].end  # one call clock across the rejoin
    assert [e.leg for e in events if isinstance(e, LegConnected)] == ["customer", "customer"]


async def test_a_wrong_token_is_refused(settings, no_leaks, launch_chromium, tmp_path):
    async with CallCenter(settings) as center, CallServer(center) as server:
        call = center.start_call()
        browser = await launch_chromium(first_turn_wav(tmp_path))
        page = await browser.new_page()
        response = await page.goto(f"{server.url}/?token=wrong&call={call.call_id}")
        assert response.status == 403
        assert "valid token" in await page.inner_text("body")
        await page.screenshot(path=str(ARTIFACTS / "customer_page_wrong_token.png"))
        await page.close()
        await call.end()
