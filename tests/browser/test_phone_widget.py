"""The Phone widget in a real JupyterLab, driven by headless Chromium with a WAV microphone:
the browser's audio reaches the kernel over WebRTC signaled through the widget's comm."""

import pytest

from tests.browser.conftest import ARTIFACTS, KERNEL_READY, serve_notebook
from tests.browser.test_customer_page import first_turn_wav

pytestmark = pytest.mark.integration

SETUP = """\
from pathlib import Path
from callkit.center import CallCenter
from callkit.config import Settings
from callkit.widgets import Phone

center = CallCenter(Settings(db_path=Path({db!r}), ice="loopback", token_delay_s=0))
call = center.start_call(title="widget test")
phone = Phone(call, leg="customer")
phone
"""


@pytest.fixture
def jupyterlab(tmp_path, settings):
    with serve_notebook(tmp_path, "phone.ipynb", SETUP.format(db=str(settings.db_path))) as lab:
        yield lab | {"db": settings.db_path}


async def call_from_the_phone(browser, url: str):
    """Open the notebook, run it, and click Call on its Phone; returns the page and widget."""
    page = await browser.new_page(viewport={"width": 1100, "height": 800})
    await page.goto(url)
    # The notebook's kernel must be connected and idle before its cells are run.
    await page.wait_for_function(KERNEL_READY, timeout=90000)
    await page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    phone = page.locator(".callkit-phone")
    await phone.wait_for(timeout=60000)
    await phone.locator(".ck-call").click()
    await page.wait_for_selector(".callkit-phone .ck-state[data-state=connected]", timeout=20000)
    return page, phone


async def test_phone_widget_sends_the_microphone_to_the_kernel(jupyterlab, launch_chromium,
                                                               tmp_path):
    browser = await launch_chromium(first_turn_wav(tmp_path))
    page, phone = await call_from_the_phone(browser, jupyterlab["url"])
    final = page.locator(".callkit-phone .ck-line.ck-customer:not(.ck-partial)")
    await final.first.wait_for(timeout=40000)
    text = await final.first.inner_text()
    local_peak = float(await phone.get_attribute("data-local-max") or 0)
    remote_peak = float(await phone.get_attribute("data-remote-max") or 0)
    await page.screenshot(path=str(ARTIFACTS / "phone_widget.png"))
    # Mute: the kernel's leg turns silent (the meter drops), then hang up.
    await phone.locator(".ck-mute").click()
    await page.wait_for_function(
        "Number(document.querySelector('.callkit-phone').dataset.remotePeak) < 0.001",
        timeout=10000)
    await phone.locator(".ck-hangup").click()
    await page.wait_for_selector(".callkit-phone .ck-state[data-state=ended]", timeout=20000)
    await page.close()
    assert "sarah johnson" in text.lower()
    # The browser's meter moved, and so did the kernel's reading of the same audio.
    assert local_peak > 0.05 and remote_peak > 0.05


AGENT_SETUP = """\
from pathlib import Path
from callkit.center import CallCenter
from callkit.config import Settings
from callkit.recordings import load_recording
from callkit.widgets import Phone

center = CallCenter(Settings(db_path=Path({db!r}), ice="loopback", token_delay_s=0))
call = center.start_call(title="agent widget hears a recorded caller")
phone = Phone(call, leg="agent")
phone
""", """\
caller = await call.play("customer", load_recording("sarah_order").legs["customer"])
"""


async def test_the_agent_widget_plays_the_callers_voice(tmp_path, settings, launch_chromium):
    with serve_notebook(tmp_path, "agent.ipynb", AGENT_SETUP[0].format(db=str(settings.db_path)),
                        AGENT_SETUP[1]) as lab:
        browser = await launch_chromium(first_turn_wav(tmp_path))
        page, _ = await call_from_the_phone(browser, lab["url"])
        # An AnalyserNode on the remote track: the recorded caller's voice plays here.
        await page.wait_for_function(
            "Number(document.querySelector('.callkit-phone').dataset.heardMax || 0) > 0.05",
            timeout=30000)
        await page.screenshot(path=str(ARTIFACTS / "phone_widget_hears_caller.png"))
        await page.close()
