import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat

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


def mic_wav(tmp_path: Path, leg: str = "customer", start_s: float = 0.0,
            end_s: float | None = None, recording: str = "sarah_order") -> Path:
    """A stretch of one leg of a recorded call as a 48 kHz mono WAV: a browser's microphone."""
    import wave

    import numpy as np

    from callkit.recordings import load_recording
    from callkit.rtc.sources import read_audio

    samples = read_audio(load_recording(recording).legs[leg], 48000)
    samples = samples[int(start_s * 48000):None if end_s is None else int(end_s * 48000)]
    path = tmp_path / f"mic_{leg}_{start_s:g}_{end_s}.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(48000)
        w.writeframes(samples.astype(np.int16).tobytes())
    return path


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


@contextlib.contextmanager
def serve_notebook(tmp_path: Path, name: str, *cells: str):
    """JupyterLab on 127.0.0.1 serving one notebook made of ``cells``; yields its URL."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, tmp_path / name)
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
    try:
        yield {"url": f"{base}/lab/tree/{name}?token={token}", "base": base, "token": token}
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
