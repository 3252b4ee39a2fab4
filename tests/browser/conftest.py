import shutil
from pathlib import Path

import pytest
import pytest_asyncio

from tests.conftest import ROOT

ARTIFACTS = ROOT / "artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# What this closed network needs, plus a WAV file as the microphone (DESIGN.md). Playwright
# gives every launch a fresh profile of its own.
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
         "--allow-loopback-in-peer-connection"]


@pytest_asyncio.fixture
async def launch_chromium():
    """Start Debian's chromium through Playwright with a WAV file as the microphone."""
    from playwright.async_api import async_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed (bash .ci/run installs it)")
    ARTIFACTS.mkdir(exist_ok=True)
    p = await async_playwright().start()
    browsers = []

    async def launch(wav: Path):
        browser = await p.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=FLAGS + [f"--use-file-for-fake-audio-capture={wav}%noloop"])
        browsers.append(browser)
        return browser

    try:
        yield launch
    finally:
        for browser in browsers:
            await browser.close()
        await p.stop()
