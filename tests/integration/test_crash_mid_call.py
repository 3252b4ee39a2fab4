"""A process killed mid-call (``kill -9``: no clean-up of any kind) loses nothing it stored, and
the next program that opens the database ends the call as abandoned with a summary.

(A process that exits without closing is test_exit_mid_call.py.)"""

import asyncio
import signal
import sys

import duckdb
import pytest

from callkit.center import CallCenter
from callkit.recovery import REASON

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# Plays a recorded call and prints a line once each final is in the database (read back on
# the database's own connection, after the recorder's write), then waits to be killed.
SCRIPT = """
import asyncio, sys
from pathlib import Path
from callkit import CallCenter, Settings
from callkit.events import TranscriptFinal

async def main():
    center = CallCenter(Settings(db_path=Path(sys.argv[1]), ice="loopback", token_delay_s=0))
    call = center.start_call(title="killed mid-call")
    print("CALL", call.call_id, flush=True)

    async def committed(final):
        def stored(con):
            return con.execute("SELECT count(*) FROM transcripts WHERE call_id = ? AND "
                               "start_s = ? AND text = ?",
                               [final.call_id, final.start, final.text]).fetchone()[0]
        while not await center.db.run(stored):
            await asyncio.sleep(0.01)
        print("FINAL", final.start, final.text, flush=True)

    call.subscribe(committed, TranscriptFinal, name="committed")
    await call.replay("sarah_order", speed=2.0)
    print("REPLAYED", flush=True)  # too late: the test kills it long before
    await asyncio.sleep(3600)

asyncio.run(main())
"""
FINALS_BEFORE_KILL = 3


async def run_until_finals(db, count: int) -> tuple[str, list[tuple[float, str]]]:
    """Start the script, read its markers until ``count`` finals are stored, kill -9 it."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", SCRIPT, str(db), stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL)
    call_id, finals = "", []
    try:
        async with asyncio.timeout(120):  # imports, the model, the call: generous on 2 cores
            while len(finals) < count:
                line = (await proc.stdout.readline()).decode()
                assert line, "the script ended before storing its finals"
                kind, _, rest = line.rstrip("\n").partition(" ")
                assert kind in ("CALL", "FINAL"), line
                if kind == "CALL":
                    call_id = rest
                else:
                    start, _, text = rest.partition(" ")
                    finals.append((float(start), text))
    finally:
        proc.send_signal(signal.SIGKILL)
        await proc.wait()
    assert proc.returncode == -signal.SIGKILL
    return call_id, finals


def read(db, sql, *params):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


async def test_a_killed_process_keeps_its_finals_and_the_call_is_recovered(settings, no_leaks):
    db = settings.db_path
    call_id, finals = await run_until_finals(db, FINALS_BEFORE_KILL)

    # Everything committed before the kill is there, and the call is still marked live.
    stored = read(db, "SELECT start_s, text FROM transcripts WHERE call_id = ?", call_id)
    assert set(finals) <= set(stored)
    assert read(db, "SELECT status FROM calls WHERE call_id = ?", call_id) == [("active",)]

    # The next start of the kit (a center opening its own database) ends it as abandoned.
    async with CallCenter(settings):
        pass
    (status, reason, summary, customer, ended, duration), = read(
        db, "SELECT status, end_reason, summary, customer_id, end_time, duration_seconds "
            "FROM calls WHERE call_id = ?", call_id)
    assert (status, reason) == ("abandoned", REASON)
    assert ended is not None and duration >= max(s for s, _ in finals)
    written_by, text = read(db, "SELECT written_by, text FROM call_summaries WHERE call_id = ?",
                            call_id)[0]
    assert written_by == "rules (recovered)" and text == summary
    # The summary is of what was stored: who called, about which order.
    assert "Sarah Johnson" in text and "#78901" in text
    assert read(db, "SELECT name FROM customers WHERE id = ?", customer) == [("Sarah Johnson",)]
    assert set(read(db, "SELECT start_s, text FROM transcripts WHERE call_id = ?",
                    call_id)) == set(stored)  # recovery adds and removes nothing

    # A second start finds nothing left to recover, and the file opens for writing cleanly.
    async with CallCenter(settings):
        pass
    assert read(db, "SELECT count(*) FROM calls WHERE status = 'active'") == [(0,)]
    con = duckdb.connect(str(db))
    try:
        con.execute("CHECKPOINT")
        tables = [t for t, in con.execute("SELECT table_name FROM information_schema.tables "
                                          "WHERE table_schema = 'main'").fetchall()]
        for table in tables:  # every table reads to its end
            con.execute(f'SELECT count(*) FROM "{table}"').fetchone()
    finally:
        con.close()
    assert {"calls", "transcripts", "call_summaries"} <= set(tables)


async def test_a_second_center_on_the_same_file_leaves_live_calls_alone(settings, no_leaks):
    async with CallCenter(settings) as first:
        call = first.start_call()
        await call.bus.drain()  # the call's row is written
        async with CallCenter(settings):
            pass
        assert call.status == "active"
        assert read_live(first, call.call_id) == "active"
        await call.end()
    assert read(settings.db_path, "SELECT status FROM calls WHERE call_id = ?",
                call.call_id) == [("completed",)]


def read_live(center, call_id):
    return center.db.run_sync(lambda con: con.execute(
        "SELECT status FROM calls WHERE call_id = ?", [call_id]).fetchone()[0])
