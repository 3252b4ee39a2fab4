"""A process that exits with a call still open ends promptly and keeps what was said."""

import subprocess
import sys

import duckdb
import pytest

pytestmark = pytest.mark.integration

SCRIPT = """
import asyncio, sys
from pathlib import Path
from callkit import CallCenter, Settings, load_recording

loop = asyncio.new_event_loop()

async def main():
    center = CallCenter(Settings(db_path=Path(sys.argv[1]), ice="loopback"))
    call = center.start_call()
    await call.play("customer", load_recording("sarah_order").legs["customer"], speed=2.0)
    await asyncio.sleep(4.5)
    print(call.call_id)

loop.run_until_complete(main())  # and leave: no end(), no aclose()
"""


def test_a_script_that_forgets_to_close_still_exits_and_stores_the_call(settings):
    db = settings.db_path  # a seeded copy of this test's own
    result = subprocess.run([sys.executable, "-c", SCRIPT, str(db)], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    call_id = result.stdout.strip()
    con = duckdb.connect(str(db), read_only=True)
    status = con.execute("SELECT status FROM calls WHERE call_id = ?", [call_id]).fetchone()
    texts = [t for t, in con.execute("SELECT text FROM transcripts WHERE call_id = ?",
                                     [call_id]).fetchall()]
    con.close()
    assert status == ("abandoned",)
    assert texts and "78901" in texts[0]


BUSY_SCRIPT = """
import asyncio
from callkit import Settings, load_recording
from callkit.rtc.sources import read_audio
from callkit.stt.engines import shared_recognizer

async def main():
    recognizer = shared_recognizer(Settings())
    audio = read_audio(load_recording("sarah_order").legs["customer"], 16000)
    for _ in range(4):  # a backlog: one decoding, three waiting
        asyncio.ensure_future(recognizer.transcribe_async(audio))
    await asyncio.sleep(0.5)
    print("leaving", flush=True)

asyncio.new_event_loop().run_until_complete(main())  # and leave, whisper mid-decode
"""


def test_a_process_that_exits_while_whisper_decodes_exits_cleanly():
    # Whisper's worker still inside the model when the interpreter tore down crashed the
    # process (a segfault, or "terminate called without an active exception"): seen at the
    # end of `bench concurrency`, and on any exit with turns still being transcribed.
    result = subprocess.run([sys.executable, "-c", BUSY_SCRIPT], capture_output=True,
                            text=True, timeout=90)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "leaving" in result.stdout and "terminate" not in result.stderr
