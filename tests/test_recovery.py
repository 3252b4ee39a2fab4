"""Calls left 'active' by a program that died, ended on the next open (callkit/recovery.py),
on a real DuckDB file written the way the recorder writes a live call."""

import asyncio

import duckdb

from callkit.events import CallStarted, CallSummary, TranscriptFinal
from callkit.recovery import REASON, recover_orphaned_calls
from callkit.store.db import Database
from callkit.store.recorder import Recorder


def record(db, *events):
    async def write():
        for event in events:
            await Recorder(db).handle(event)
    asyncio.run(write())


def said(call_id, leg, text, start):
    return TranscriptFinal(call_id=call_id, leg=leg, text=text, start=start, end=start + 3)


def test_an_orphan_is_summarized_and_one_already_summarized_keeps_its_summary(settings):
    with Database(settings.db_path) as db:
        record(db, CallStarted(call_id="orphan", agent_name="A"),
               said("orphan", "customer", "Hi, I'm Sarah Johnson, order 78901.", 1.0),
               said("orphan", "agent", "Let me look that order up.", 5.0),
               CallStarted(call_id="summarized", agent_name="A"),
               CallSummary(call_id="summarized", reason="r", resolution="s", action_items=(),
                           sentiment="neutral", text="Written before the crash.",
                           written_by="openai"))
        assert sorted(recover_orphaned_calls(db)) == ["orphan", "summarized"]
        assert recover_orphaned_calls(db) == []  # nothing left the second time
    con = duckdb.connect(str(settings.db_path), read_only=True)
    calls = dict(((c, (s, r, d)) for c, s, r, d in con.execute(
        "SELECT call_id, status, end_reason, duration_seconds FROM calls").fetchall()))
    summaries = dict(((c, (w, t)) for c, w, t in con.execute(
        "SELECT call_id, written_by, text FROM call_summaries").fetchall()))
    con.close()
    assert calls["orphan"] == ("abandoned", REASON, 8.0)
    assert calls["summarized"][:2] == ("abandoned", REASON)
    written_by, text = summaries["orphan"]
    assert written_by == "rules (recovered)" and "Sarah Johnson" in text and "#78901" in text
    assert summaries["summarized"] == ("openai", "Written before the crash.")


def test_live_calls_are_left_alone(settings):
    with Database(settings.db_path) as db:
        record(db, CallStarted(call_id="live", agent_name="A"))
        assert recover_orphaned_calls(db, live=frozenset({"live"})) == []
        assert db.run_sync(lambda con: con.execute(
            "SELECT status FROM calls WHERE call_id = 'live'").fetchone()) == ("active",)
