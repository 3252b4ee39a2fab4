"""The Dashboard and CallHistory widgets in a real JupyterLab, in headless Chromium: plotly
draws every panel offline, a call recorded while the page is open reaches the tiles, and the
history searches, replays and exports a call (redacted). Screenshots go to artifacts/."""

import datetime as dt

import pytest

from callkit.store.db import connect
from callkit.store.history_seed import HistorySize, seed_history
from callkit.store.seed import seed
from tests.browser.conftest import ARTIFACTS, KERNEL_READY, serve_notebook

pytestmark = pytest.mark.integration
WAIT_MS = 120_000

BOARD = """\
import asyncio
from pathlib import Path
from callkit.analytics import CallHistory, Dashboard
from callkit.store.db import Database

db = Database(Path({db!r}))  # stands for a CallCenter's database: calls are written to it
Dashboard(db, days=28, refresh_s=0.5)
"""
HISTORY = "CallHistory(db)"
# A call starts while the dashboard is on screen.
LIVE_CALL = """\
await asyncio.sleep(4)
await db.run(lambda con: con.execute(
    "INSERT INTO calls (call_id, agent_name, start_time, status) "
    "VALUES ('live-1', 'Agent', now(), 'active')"))
"""


@pytest.fixture
def past(tmp_path):
    path = tmp_path / "past.duckdb"
    con = connect(path)
    seed(con)
    seed_history(con, size=HistorySize(calls=300, days=28, lines_per_call=20),
                 today=dt.date.today())
    con.close()
    return path


async def test_dashboard_and_history_in_jupyterlab(past, tmp_path, launch_chromium):
    with serve_notebook(tmp_path, "analytics.ipynb", BOARD.format(db=str(past)), HISTORY,
                        LIVE_CALL) as lab:
        browser = await launch_chromium(tmp_path / "unused.wav")
        # Tall, so that the screenshots hold every panel and the whole replay.
        page = await browser.new_page(viewport={"width": 1400, "height": 2600})
        await page.goto(lab["url"])
        await page.wait_for_function(KERNEL_READY, timeout=WAIT_MS)
        await page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
        board = page.locator(".callkit-dashboard")
        # Every panel drawn by plotly.js (shipped with the plotly package, no network).
        await page.wait_for_function(
            "document.querySelectorAll('.callkit-dashboard .ck-plot .main-svg').length >= 12",
            timeout=WAIT_MS)
        assert await board.locator("[data-kpi=calls] b").inner_text() == "300"
        assert await board.locator("[data-kpi=active] b").inner_text() == "0"
        # The call started in the kernel reaches the tiles without touching the page.
        await page.wait_for_function(
            "document.querySelector('.callkit-dashboard [data-kpi=active] b')"
            ".textContent === '1'", timeout=WAIT_MS)
        assert await board.locator("[data-kpi=calls] b").inner_text() == "301"
        await board.screenshot(path=str(ARTIFACTS / "dashboard.png"))

        history = page.locator(".callkit-history")
        await history.locator("input[name=text]").fill("supervisor unacceptable")
        await history.locator("button[type=submit]").click()
        await page.wait_for_function(
            "document.querySelector('.callkit-history .ck-hit')", timeout=WAIT_MS)
        first = history.locator("tr[data-call]").first
        assert "supervisor" in (await first.locator(".ck-hit").inner_text()).lower()
        await first.click()
        feed = history.locator(".ck-feed li")
        await feed.first.wait_for(timeout=WAIT_MS)
        shown = await feed.count()
        assert shown > 10 and await history.locator(".ck-summary").is_visible()
        await history.locator(".ck-play").click()  # replays from the start
        await page.wait_for_timeout(300)
        assert await history.locator(".ck-feed li:not([hidden])").count() < shown
        async with page.expect_download() as download:
            await history.locator("button[data-format=markdown]").click()
        text = (await (await download.value).path()).read_text()
        assert text.startswith("# [customer]") and "## Timeline" in text
        await history.screenshot(path=str(ARTIFACTS / "call_history.png"))
        await page.close()
