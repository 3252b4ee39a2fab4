"""The Phone widget in a real JupyterLab, driven by headless Chromium with a WAV microphone:
the browser's audio reaches the kernel over WebRTC signaled through the widget's comm."""

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import nbformat
import pytest

from tests.browser.conftest import ARTIFACTS
from tests.browser.test_customer_page import first_turn_wav

pytestmark = pytest.mark.integration

SETUP = """\
from pathlib import Path
from callkit.call import CallCenter
from callkit.config import Settings
from callkit.widgets import Phone

center = CallCenter(Settings(db_path=Path({db!r}), ice="loopback", token_delay_s=0))
call = center.start_call(title="widget test")
phone = Phone(call, leg="customer")
phone
"""


KERNEL_READY = """() => {
  const widget = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const kernel = widget && widget.sessionContext && widget.sessionContext.session &&
                 widget.sessionContext.session.kernel;
  return !!kernel && kernel.connectionStatus === "connected" && kernel.status === "idle";
}"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def jupyterlab(tmp_path, settings):
    db = settings.db_path  # a seeded copy of this test's own
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(SETUP.format(db=str(db)))]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, tmp_path / "phone.ipynb")
    port, token = free_port(), secrets.token_hex(12)
    # No "get notified about Jupyter news?" pop-up over the screenshots (and no fetch).
    news = tmp_path / "lab-settings" / "@jupyterlab" / "apputils-extension"
    news.mkdir(parents=True)
    (news / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(tmp_path / "cfg"),
           "JUPYTER_RUNTIME_DIR": str(tmp_path / "rt"), "HF_HUB_OFFLINE": "1",
           "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "lab-settings")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1",
         f"--port={port}", f"--IdentityProvider.token={token}", "--allow-root",
         f"--ServerApp.root_dir={tmp_path}", "--LabApp.expose_app_in_browser=True",
         "--ServerApp.disable_check_xsrf=True"],
        stdout=subprocess.DEVNULL, stderr=open(tmp_path / "lab.log", "w"), env=env,
        start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while True:
        try:
            urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
            break
        except OSError:
            if time.time() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError((tmp_path / "lab.log").read_text()[-3000:])
            time.sleep(0.5)
    yield {"url": f"{base}/lab/tree/phone.ipynb?token={token}", "db": db, "base": base,
           "token": token}
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


async def test_phone_widget_sends_the_microphone_to_the_kernel(jupyterlab, launch_chromium,
                                                               tmp_path):
    browser = await launch_chromium(first_turn_wav(tmp_path))
    page = await browser.new_page(viewport={"width": 1100, "height": 800})
    await page.goto(jupyterlab["url"])
    # The notebook's kernel must be connected and idle before its cells are run.
    await page.wait_for_function(KERNEL_READY, timeout=90000)
    await page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    phone = page.locator(".callkit-phone")
    await phone.wait_for(timeout=60000)
    await phone.locator(".ck-call").click()
    await page.wait_for_selector(".callkit-phone .ck-state[data-state=connected]", timeout=20000)
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
