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
