"""``callkit lab``: JupyterLab on the student notebooks (or the solutions), on 127.0.0.1 only.

The server gets a fresh random token each time, runs in its own session so that Ctrl-C
reaches only us, and is stopped with SIGTERM, which jupyter_server takes as a clean shutdown
(kernels included) without its interactive "Shutdown this server (y/[n])?" prompt.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import webbrowser
from pathlib import Path

LAB_PORT = 8888
STARTUP_TIMEOUT_S = 60.0
SHUTDOWN_TIMEOUT_S = 15.0
# Kernels started by the server inherit this: the speech models ship in a PyPI package.
LAB_ENV = {"HF_HUB_OFFLINE": "1"}
# A proxy set in the environment must not see (or swallow) requests to our own server.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def find_repo_root(start: Path | None = None) -> Path:
    """The nearest folder, from ``start`` (default: cwd) upward, that contains solutions/."""
    start = (start or Path.cwd()).resolve()
    for folder in (start, *start.parents):
        if (folder / "solutions").is_dir():
            return folder
    raise FileNotFoundError(f"no callkit lab repository around {start}: no folder from here "
                            f"upward contains solutions/ (run this inside the repository)")


def lab_command(root: Path, port: int, token: str, as_root: bool) -> list[str]:
    """The command line that serves ``root`` with JupyterLab on 127.0.0.1:port."""
    command = [sys.executable, "-m", "jupyter", "lab",
               "--ServerApp.ip=127.0.0.1",
               f"--ServerApp.port={port}",
               "--ServerApp.port_retries=0",  # the URL we print must be the port it serves
               f"--IdentityProvider.token={token}",
               f"--ServerApp.root_dir={root}",
               "--no-browser",  # opened by us once it answers, so it gets the printed URL
               # Its startup banner would repeat what we print; warnings still show.
               "--ServerApp.log_level=WARN", "--ExtensionApp.log_level=WARN"]
    if as_root:
        command.append("--allow-root")  # jupyter refuses to run as root without it
    return command


def lab_url(port: int, token: str) -> str:
    return f"http://127.0.0.1:{port}/lab?token={token}"


def free_port(preferred: int = LAB_PORT) -> int:
    """``preferred`` if nothing listens there, else any free port on 127.0.0.1."""
    for port in (preferred, 0):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return probe.getsockname()[1]
    raise OSError("no free port on 127.0.0.1")


def start_lab(root: Path, port: int, token: str) -> subprocess.Popen:
    as_root = hasattr(os, "geteuid") and os.geteuid() == 0
    return subprocess.Popen(lab_command(root, port, token, as_root),
                            env={**os.environ, **LAB_ENV}, stdin=subprocess.DEVNULL,
                            start_new_session=True)


def wait_until_up(process: subprocess.Popen, port: int, token: str,
                  timeout_s: float = STARTUP_TIMEOUT_S, progress=None) -> bool:
    """True once the server answers with the token; False if it exited or never answered.
    Writes a dot to ``progress`` (a text stream) for each attempt."""
    url = f"http://127.0.0.1:{port}/api/status?token={token}"
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with _DIRECT.open(url, timeout=2) as response:
                if response.status == 200:
                    return True
        except OSError:  # refused while starting; URLError and HTTPError are OSErrors
            pass
        if progress is not None:
            print(".", end="", file=progress, flush=True)
        time.sleep(0.5)
    return False


def stop_lab(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(SHUTDOWN_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run_lab(solutions: bool, port: int | None, browser: bool) -> int:
    """Serve notebooks/ (or solutions/) until Ctrl-C; the exit code of ``callkit lab``."""
    folder = find_repo_root() / ("solutions" if solutions else "notebooks")
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} does not exist yet; run `callkit notebooks build`")
    port = port or free_port()
    token = secrets.token_urlsafe(24)
    _interrupt_on(signal.SIGTERM, getattr(signal, "SIGHUP", None))
    print(f"starting JupyterLab on {folder} ", end="", file=sys.stderr, flush=True)
    process = start_lab(folder, port, token)
    try:
        if not wait_until_up(process, port, token, progress=sys.stderr):
            print(file=sys.stderr)
            print(f"callkit: JupyterLab did not answer on port {port} within "
                  f"{STARTUP_TIMEOUT_S:.0f} s (see its messages above)", file=sys.stderr)
            return 1
        print(file=sys.stderr)
        print(f"JupyterLab is up: {lab_url(port, token)}\nCtrl-C stops it.", flush=True)
        if browser:
            webbrowser.open(lab_url(port, token))
        return process.wait()
    except KeyboardInterrupt:
        print("\nstopping JupyterLab…", file=sys.stderr, flush=True)
        return 0
    finally:
        stop_lab(process)


def _interrupt_on(*signals) -> None:
    """Turn these signals into KeyboardInterrupt so that the server is stopped with us: in
    its own session, it would otherwise outlive a terminated or hung-up ``callkit lab``."""
    def interrupt(signum, frame):
        raise KeyboardInterrupt
    for sig in signals:
        if sig is not None:
            signal.signal(sig, interrupt)
