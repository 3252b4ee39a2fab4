"""`callkit serve` as a user runs it, and a notebook kernel shut down in the middle of a call."""

import json
import re
import signal
import subprocess
import sys
import time
import urllib.request

import duckdb
import pytest

pytestmark = pytest.mark.integration


def post(url: str, body: dict) -> dict:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def test_serve_takes_a_customer_streams_events_and_stores_the_call_on_ctrl_c(settings):
    db = settings.db_path  # a seeded copy of this test's own
    proc = subprocess.Popen(
        [sys.executable, "-m", "callkit.cli", "serve", "--port", "0", "--loopback", "--db",
         str(db)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        banner = [proc.stdout.readline() for _ in range(4)]
        page = re.search(r"customer page\s+(\S+)", "".join(banner)).group(1)
        base, query = page.split("/?")
        token, call_id = re.search(r"token=([^&]+)&call=(\S+)", query).groups()
        assert base.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(page, timeout=10) as response:
            assert "Customer line" in response.read().decode()
        played = post(f"{base}/play?token={token}", {"call": call_id, "recording": "sarah_order"})
        assert played["call"] == call_id and played["duration_s"] > 40
        events = urllib.request.urlopen(f"{base}/events/{call_id}?token={token}", timeout=60)
        final = None
        for raw in events:
            line = raw.decode().strip()
            if line.startswith("data: ") and '"TranscriptFinal"' in line:
                final = json.loads(line[6:])
                break
        events.close()
        assert final["leg"] == "customer" and "78901" in final["text"]
        proc.send_signal(signal.SIGINT)  # Ctrl-C: the call ends, is summarized and stored
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert "Summary" in out and f"stored in {db}" in out
    con = duckdb.connect(str(db), read_only=True)
    status, customer = con.execute("SELECT status, customer_id FROM calls WHERE call_id = ?",
                                   [call_id]).fetchone()
    con.close()
    assert status == "completed" and customer is not None


def test_shutting_down_a_kernel_mid_call_ends_it_promptly(settings):
    from jupyter_client.manager import start_new_kernel

    db = settings.db_path  # a seeded copy of this test's own
    km, kc = start_new_kernel(kernel_name="python3")  # inherits HF_HUB_OFFLINE=1
    try:
        code = (
            "from pathlib import Path\n"
            "from callkit import CallCenter, Settings, load_recording\n"
            f"center = CallCenter(Settings(db_path=Path({str(db)!r}), ice='loopback'))\n"
            "call = center.start_call()\n"
            "await call.play('customer', load_recording('sarah_order').legs['customer'])\n"
            "import asyncio; await asyncio.sleep(3)\n"
            "print(call.call_id)\n")
        out = []
        reply = kc.execute_interactive(code, timeout=120, output_hook=lambda msg: out.append(
            msg["content"].get("text", "")))
        assert reply["content"]["status"] == "ok", reply["content"]
        process = km.provisioner.process
        km.shutdown_wait_time = 30.0  # a kernel that hangs must show here, not be killed at 5 s
        started = time.monotonic()
        km.shutdown_kernel(now=False)  # what "Shut Down Kernel" in JupyterLab asks for
        took = time.monotonic() - started
    finally:
        kc.stop_channels()
        if km.is_alive():
            km.shutdown_kernel(now=True)
    assert took < 10, f"kernel took {took:.1f} s to shut down"
    assert process.returncode == 0  # it exited by itself, with peers, tasks and threads
    # The call was cut off, not lost: stored as abandoned with what the customer said.
    call_id = "".join(out).strip()
    con = duckdb.connect(str(db), read_only=True)
    status = con.execute("SELECT status FROM calls WHERE call_id = ?", [call_id]).fetchone()
    lines = con.execute("SELECT text FROM transcripts WHERE call_id = ?", [call_id]).fetchall()
    con.close()
    assert status == ("abandoned",)
    assert lines and "sarah" in lines[0][0].lower()  # cut mid-sentence: "Hi, I'm Sarah …"


def test_serving_beyond_this_machine_needs_a_flag_and_warns(settings):
    proc = subprocess.Popen(
        [sys.executable, "-m", "callkit.cli", "serve", "--host", "0.0.0.0", "--port", "0",
         "--loopback", "--db", str(settings.db_path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        warning = proc.stderr.readline()
        banner = [proc.stdout.readline() for _ in range(2)]
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert "reachable from other machines" in warning
    assert "http://0.0.0.0:" in banner[1]
    bad = subprocess.run([sys.executable, "-m", "callkit.cli", "serve", "--host", "example.com",
                          "--db", str(settings.db_path)], capture_output=True, text=True,
                         timeout=60)
    assert bad.returncode == 2 and "--host must be an IP address" in bad.stderr
